//! End-to-end tests of the machine on small hand-assembled programs.

use super::*;
use crate::asm::{reg::*, Asm};

/// A loop summing 1..=n into memory, with loads, stores, branches, a call and a write.
pub(crate) fn sum_program(n: u32) -> Asm {
    let mut a = Asm::new();
    a.bss("acc", 4);
    a.li(T0, 0); // i
    a.li(T1, n);
    a.la(S0, "acc");
    a.label("loop");
    a.addiu(T0, T0, 1);
    a.lw(T2, 0, S0);
    a.addu(T2, T2, T0);
    a.sw(T2, 0, S0);
    a.bne(T0, T1, "loop");
    a.nop();
    a.jal("done");
    a.nop();
    a.label("done");
    a.lw(A0, 0, S0);
    a.andi(A0, A0, 0xff);
    a.li(V0, 4246);
    a.syscall();
    a
}

pub(crate) fn traced(asm: &Asm) -> (Machine, Statement, Instances) {
    let elf = asm.elf();
    let program = Program::parse(&elf).expect("valid ELF");
    let machine = Machine::new(&program).expect("machine");
    let (st, inst) = machine
        .trace(&program, &["prog".to_string()], Vec::new(), 1 << 20)
        .expect("trace");
    (machine, st, inst)
}

#[test]
fn sum_program_satisfies_every_constraint() {
    let (_, st, inst) = traced(&sum_program(10));
    assert_eq!(st.exit_code, 55);
    inst.check().unwrap();
}

#[test]
fn sum_program_proves_and_verifies() {
    let (_, st, inst) = traced(&sum_program(10));
    let proof = prove(&inst).unwrap();
    let degree_bits: Vec<usize> = proof.degree_bits.clone();
    let common = common_data(&inst.airs, &degree_bits).unwrap();
    verify(&inst.airs, &proof, &inst.public_values, &common).unwrap();
    // A wrong exit code is rejected.
    let mut pv = inst.public_values.clone();
    pv[9][0] = Val::from_u32(st.exit_code + 1);
    assert!(verify(&inst.airs, &proof, &pv, &common).is_err());
}
