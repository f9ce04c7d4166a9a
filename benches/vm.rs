//! `cargo bench --bench vm`: interpreter speed on the CPU-bound guest
//! `testdata/elf/cpubound.elf`, in guest instructions per second (best of 3 runs).
//! `ZKM_BENCH_SCALE` sets the guest's size argument (default 10, about 1.1 billion
//! instructions). `benches/vm.sh` also times the same program under qemu-mips.

use std::time::Instant;

use zkm::vm::{trace::NoTracer, Config, Vm};

fn main() {
    let scale = std::env::var("ZKM_BENCH_SCALE").unwrap_or_else(|_| "10".into());
    let elf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/elf/cpubound.elf");
    let program = zkm::elf::Program::load(&elf).expect("testdata/elf/cpubound.elf");
    let mut best = f64::MAX;
    let mut cycles = 0;
    for _ in 0..3 {
        let config = Config {
            argv: vec!["cpubound".into(), scale.clone()],
            env: vec![],
            input: vec![],
            max_cycles: None,
            stdout: Box::new(std::io::sink()),
            stderr: Box::new(std::io::sink()),
        };
        let mut vm = Vm::new(program.clone(), config).expect("load");
        let start = Instant::now();
        let exit = loop {
            if let Some(e) = vm.run(u64::MAX, &mut NoTracer).expect("run") {
                break e;
            }
        };
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(exit.code, 0);
        cycles = vm.cycles;
        best = best.min(secs);
    }
    println!(
        "cpubound {scale}: {cycles} instructions, best {best:.3} s, {:.1} M instructions/s",
        cycles as f64 / best / 1e6
    );
}
