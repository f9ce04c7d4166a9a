
use builtin;
use str;

set edit:completion:arg-completer[zkm] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'zkm'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'zkm'= {
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand new 'Create a new Go guest project'
            cand build 'Cross-compile a Go guest to a MIPS ELF with your own Go toolchain'
            cand inspect 'Show what a guest ELF contains: entry point, segments, symbols, Go build info, image id'
            cand run 'Run a guest ELF in the zkm MIPS virtual machine'
            cand prove 'Prove that a guest ELF ran to exit: a STARK proof of its public output and exit status'
            cand verify 'Verify a proof written by `zkm prove`: exit 0 only if it is valid for the program and every expectation holds'
            cand completions 'Print a shell completion script on stdout'
            cand challenge 'Play the Optimistic Challenge Process for a boolean circuit on a local Bitcoin chain'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zkm;new'= {
            cand --name 'Go module path [default: the directory''s name]'
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;build'= {
            cand --go 'The go command to use [default: $ZKM_GO, then `go` on PATH]'
            cand -o 'Where to write the ELF [default: <module root>/target/zkm/<name>.elf]'
            cand --output 'Where to write the ELF [default: <module root>/target/zkm/<name>.elf]'
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;inspect'= {
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;run'= {
            cand -i 'The private input, read by the guest from stdin; `-` reads zkm''s own stdin [default: empty]'
            cand --input 'The private input, read by the guest from stdin; `-` reads zkm''s own stdin [default: empty]'
            cand --public-out 'Where to write what the guest writes to fd 3 [default: discarded]'
            cand --max-cycles 'Stop after this many instructions (exit code 103)'
            cand --env 'Add KEY=VALUE to the guest''s environment (empty by default); repeatable'
            cand --report 'Write a JSON report (exit code, cycles, public output, syscalls...) to FILE'
            cand --strace 'Print each system call, its arguments and its result on stderr, as `qemu-mips -strace` does (the run is slower)'
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;prove'= {
            cand -i 'The private input, read by the guest from stdin; `-` reads zkm''s own stdin [default: empty]'
            cand --input 'The private input, read by the guest from stdin; `-` reads zkm''s own stdin [default: empty]'
            cand -o 'Where to write the proof [default: the ELF''s name with .proof]'
            cand --output 'Where to write the proof [default: the ELF''s name with .proof]'
            cand --max-cycles 'Stop after this many instructions (exit code 103)'
            cand --env 'Add KEY=VALUE to the guest''s environment (empty by default; part of the statement); repeatable'
            cand --check 'Check every constraint of the witness before proving (slower; for debugging)'
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;verify'= {
            cand --elf 'The ELF the proof must be for'
            cand --image-id 'The image id the proof must be for (64 hex digits; `zkm inspect ELF` shows it)'
            cand --expect-output 'The public output (fd 3) the proof must state, byte for byte'
            cand --expect-exit 'The exit status the proof must state'
            cand --env 'With --expect-args: a KEY=VALUE of the expected environment; repeatable'
            cand --expect-args 'Require the arguments after the program''s name to be exactly those after `--`, and the environment exactly the --env values, in order (without it the proof''s are shown, not checked; argv[0], the proved ELF''s file name, never is)'
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;completions'= {
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;challenge'= {
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand setup 'Build the unsigned transaction graph of a deposit, before any claim is made'
            cand sign 'Pre-sign every n-of-n input of the graph: all signers at once (local testing), or one signer''s round with only its own key, then `--aggregate`'
            cand claim 'Make the operator''s one claim on a signed graph: evaluate, commit, write the kickoff'
            cand simulate 'Play one branch of the game on a local chain'
            cand inspect 'Report leaves, tree depth, script and witness sizes, worst-case weights, standardness'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zkm;challenge;setup'= {
            cand --circuit 'A Bristol Fashion file, or builtin:NAME (adderN, comparatorN, multiplierN, sha256)'
            cand --input 'One per circuit input: a hex constant fixed now (big-endian, bit 0 on the first wire), or `_` for an input the operator commits when it claims'
            cand --signers 'Number of n-of-n signers [default: 3, or as many as --keys has]'
            cand --amount 'Value of the deposit, in sats: what a true claim is paid'
            cand --stake 'The operator''s collateral, posted with the kickoff [default: a tenth of --amount]'
            cand --reward 'What a disprove leaves whoever publishes it, out of the stake [default: a tenth of the stake]'
            cand --fee-rate 'Fee rate of every pre-signed transaction, in sat/vB'
            cand --challenge-period 'P: blocks to challenge, per Assert step, and to disprove'
            cand --refund-after 'Blocks after which the depositor may take back an unclaimed deposit [default: 4320, or 4P if more]'
            cand --challenge-fee 'What the challenger pays the operator to challenge [default: what the Asserts cost]'
            cand --seed 'Derive every key from this seed (local testing: the seed gives away every key)'
            cand --keys 'Read the keys from a JSON file (see docs/ocp.md)'
            cand --n-of-n 'How the n signers sign'
            cand --funding 'A real funding outpoint for regtest replay (pay the amount graph.json asks to the depositor''s address first)'
            cand --stake-coin 'The operator''s real stake coin for regtest replay (exactly --stake sats to its address)'
            cand -o 'The game directory to write'
            cand --output 'The game directory to write'
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;challenge;sign'= {
            cand --n-of-n 'Switch the n-of-n scheme (rebuilds the graph: txids change)'
            cand --signer 'Sign as this one signer (its index in graph.json''s signers), with --round'
            cand --round 'Which round this signer runs'
            cand --key 'The signer''s own key file [default: DIR/secrets/signer-I.json]'
            cand --aggregate 'Aggregate every signer''s round files into the graph''s signatures'
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;challenge;claim'= {
            cand --input 'One hex value per input left to the claim (`_` at setup), in order'
            cand --lie 'Play a dishonest operator: flip gate GATE''s output, or compute as if claimed input bit B were flipped (`input:B`)'
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;challenge;simulate'= {
            cand --scenario 'Which branch to play'
            cand --report 'Write the JSON report here'
            cand --challenger-coin 'The challenger''s coin, paying to its regtest address in graph.json (for a regtest replay); a synthetic coin otherwise'
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;challenge;inspect'= {
            cand --json 'Print machine-readable JSON on stdout; human messages still go to stderr'
            cand -q 'Print nothing but errors on stderr'
            cand --quiet 'Print nothing but errors on stderr'
            cand -v 'Print more detail on stderr (repeat for more)'
            cand --verbose 'Print more detail on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zkm;challenge;help'= {
            cand setup 'Build the unsigned transaction graph of a deposit, before any claim is made'
            cand sign 'Pre-sign every n-of-n input of the graph: all signers at once (local testing), or one signer''s round with only its own key, then `--aggregate`'
            cand claim 'Make the operator''s one claim on a signed graph: evaluate, commit, write the kickoff'
            cand simulate 'Play one branch of the game on a local chain'
            cand inspect 'Report leaves, tree depth, script and witness sizes, worst-case weights, standardness'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zkm;challenge;help;setup'= {
        }
        &'zkm;challenge;help;sign'= {
        }
        &'zkm;challenge;help;claim'= {
        }
        &'zkm;challenge;help;simulate'= {
        }
        &'zkm;challenge;help;inspect'= {
        }
        &'zkm;challenge;help;help'= {
        }
        &'zkm;help'= {
            cand new 'Create a new Go guest project'
            cand build 'Cross-compile a Go guest to a MIPS ELF with your own Go toolchain'
            cand inspect 'Show what a guest ELF contains: entry point, segments, symbols, Go build info, image id'
            cand run 'Run a guest ELF in the zkm MIPS virtual machine'
            cand prove 'Prove that a guest ELF ran to exit: a STARK proof of its public output and exit status'
            cand verify 'Verify a proof written by `zkm prove`: exit 0 only if it is valid for the program and every expectation holds'
            cand completions 'Print a shell completion script on stdout'
            cand challenge 'Play the Optimistic Challenge Process for a boolean circuit on a local Bitcoin chain'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zkm;help;new'= {
        }
        &'zkm;help;build'= {
        }
        &'zkm;help;inspect'= {
        }
        &'zkm;help;run'= {
        }
        &'zkm;help;prove'= {
        }
        &'zkm;help;verify'= {
        }
        &'zkm;help;completions'= {
        }
        &'zkm;help;challenge'= {
            cand setup 'Build the unsigned transaction graph of a deposit, before any claim is made'
            cand sign 'Pre-sign every n-of-n input of the graph: all signers at once (local testing), or one signer''s round with only its own key, then `--aggregate`'
            cand claim 'Make the operator''s one claim on a signed graph: evaluate, commit, write the kickoff'
            cand simulate 'Play one branch of the game on a local chain'
            cand inspect 'Report leaves, tree depth, script and witness sizes, worst-case weights, standardness'
        }
        &'zkm;help;challenge;setup'= {
        }
        &'zkm;help;challenge;sign'= {
        }
        &'zkm;help;challenge;claim'= {
        }
        &'zkm;help;challenge;simulate'= {
        }
        &'zkm;help;challenge;inspect'= {
        }
        &'zkm;help;help'= {
        }
    ]
    $completions[$command]
}
