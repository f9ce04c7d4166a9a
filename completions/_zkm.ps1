
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'zkm' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'zkm'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'zkm' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new Go guest project')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Cross-compile a Go guest to a MIPS ELF with your own Go toolchain')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show what a guest ELF contains: entry point, segments, symbols, Go build info, image id')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a guest ELF in the zkm MIPS virtual machine')
            [CompletionResult]::new('prove', 'prove', [CompletionResultType]::ParameterValue, 'Prove that a guest ELF ran to exit: a STARK proof of its public output and exit status')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify a proof written by `zkm prove`: exit 0 only if it is valid for the program and every expectation holds')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script on stdout')
            [CompletionResult]::new('challenge', 'challenge', [CompletionResultType]::ParameterValue, 'Play the Optimistic Challenge Process for a boolean circuit on a local Bitcoin chain')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zkm;new' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Go module path [default: the directory''s name]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;build' {
            [CompletionResult]::new('--go', '--go', [CompletionResultType]::ParameterName, 'The go command to use [default: $ZKM_GO, then `go` on PATH]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the ELF [default: <module root>/target/zkm/<name>.elf]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where to write the ELF [default: <module root>/target/zkm/<name>.elf]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;inspect' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;run' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The private input, read by the guest from stdin; `-` reads zkm''s own stdin [default: empty]')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'The private input, read by the guest from stdin; `-` reads zkm''s own stdin [default: empty]')
            [CompletionResult]::new('--public-out', '--public-out', [CompletionResultType]::ParameterName, 'Where to write what the guest writes to fd 3 [default: discarded]')
            [CompletionResult]::new('--max-cycles', '--max-cycles', [CompletionResultType]::ParameterName, 'Stop after this many instructions (exit code 103)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Add KEY=VALUE to the guest''s environment (empty by default); repeatable')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write a JSON report (exit code, cycles, public output, syscalls...) to FILE')
            [CompletionResult]::new('--strace', '--strace', [CompletionResultType]::ParameterName, 'Print each system call, its arguments and its result on stderr, as `qemu-mips -strace` does (the run is slower)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;prove' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The private input, read by the guest from stdin; `-` reads zkm''s own stdin [default: empty]')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'The private input, read by the guest from stdin; `-` reads zkm''s own stdin [default: empty]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the proof [default: the ELF''s name with .proof]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where to write the proof [default: the ELF''s name with .proof]')
            [CompletionResult]::new('--max-cycles', '--max-cycles', [CompletionResultType]::ParameterName, 'Stop after this many instructions (exit code 103)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Add KEY=VALUE to the guest''s environment (empty by default; part of the statement); repeatable')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Check every constraint of the witness before proving (slower; for debugging)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;verify' {
            [CompletionResult]::new('--elf', '--elf', [CompletionResultType]::ParameterName, 'The ELF the proof must be for')
            [CompletionResult]::new('--image-id', '--image-id', [CompletionResultType]::ParameterName, 'The image id the proof must be for (64 hex digits; `zkm inspect ELF` shows it)')
            [CompletionResult]::new('--expect-output', '--expect-output', [CompletionResultType]::ParameterName, 'The public output (fd 3) the proof must state, byte for byte')
            [CompletionResult]::new('--expect-exit', '--expect-exit', [CompletionResultType]::ParameterName, 'The exit status the proof must state')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'With --expect-args: a KEY=VALUE of the expected environment; repeatable')
            [CompletionResult]::new('--expect-args', '--expect-args', [CompletionResultType]::ParameterName, 'Require the arguments after the program''s name to be exactly those after `--`, and the environment exactly the --env values, in order (without it the proof''s are shown, not checked; argv[0], the proved ELF''s file name, never is)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;completions' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;challenge' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Build the unsigned transaction graph of a deposit, before any claim is made')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Pre-sign every n-of-n input of the graph: all signers at once (local testing), or one signer''s round with only its own key, then `--aggregate`')
            [CompletionResult]::new('claim', 'claim', [CompletionResultType]::ParameterValue, 'Make the operator''s one claim on a signed graph: evaluate, commit, write the kickoff')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Play one branch of the game on a local chain')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Report leaves, tree depth, script and witness sizes, worst-case weights, standardness')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zkm;challenge;setup' {
            [CompletionResult]::new('--circuit', '--circuit', [CompletionResultType]::ParameterName, 'A Bristol Fashion file, or builtin:NAME (adderN, comparatorN, multiplierN, sha256)')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'One per circuit input: a hex constant fixed now (big-endian, bit 0 on the first wire), or `_` for an input the operator commits when it claims')
            [CompletionResult]::new('--signers', '--signers', [CompletionResultType]::ParameterName, 'Number of n-of-n signers [default: 3, or as many as --keys has]')
            [CompletionResult]::new('--amount', '--amount', [CompletionResultType]::ParameterName, 'Value of the deposit, in sats: what a true claim is paid')
            [CompletionResult]::new('--stake', '--stake', [CompletionResultType]::ParameterName, 'The operator''s collateral, posted with the kickoff [default: a tenth of --amount]')
            [CompletionResult]::new('--reward', '--reward', [CompletionResultType]::ParameterName, 'What a disprove leaves whoever publishes it, out of the stake [default: a tenth of the stake]')
            [CompletionResult]::new('--fee-rate', '--fee-rate', [CompletionResultType]::ParameterName, 'Fee rate of every pre-signed transaction, in sat/vB')
            [CompletionResult]::new('--challenge-period', '--challenge-period', [CompletionResultType]::ParameterName, 'P: blocks to challenge, per Assert step, and to disprove')
            [CompletionResult]::new('--refund-after', '--refund-after', [CompletionResultType]::ParameterName, 'Blocks after which the depositor may take back an unclaimed deposit [default: 4320, or 4P if more]')
            [CompletionResult]::new('--challenge-fee', '--challenge-fee', [CompletionResultType]::ParameterName, 'What the challenger pays the operator to challenge [default: what the Asserts cost]')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Derive every key from this seed (local testing: the seed gives away every key)')
            [CompletionResult]::new('--keys', '--keys', [CompletionResultType]::ParameterName, 'Read the keys from a JSON file (see docs/ocp.md)')
            [CompletionResult]::new('--n-of-n', '--n-of-n', [CompletionResultType]::ParameterName, 'How the n signers sign')
            [CompletionResult]::new('--funding', '--funding', [CompletionResultType]::ParameterName, 'A real funding outpoint for regtest replay (pay the amount graph.json asks to the depositor''s address first)')
            [CompletionResult]::new('--stake-coin', '--stake-coin', [CompletionResultType]::ParameterName, 'The operator''s real stake coin for regtest replay (exactly --stake sats to its address)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The game directory to write')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The game directory to write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;challenge;sign' {
            [CompletionResult]::new('--n-of-n', '--n-of-n', [CompletionResultType]::ParameterName, 'Switch the n-of-n scheme (rebuilds the graph: txids change)')
            [CompletionResult]::new('--signer', '--signer', [CompletionResultType]::ParameterName, 'Sign as this one signer (its index in graph.json''s signers), with --round')
            [CompletionResult]::new('--round', '--round', [CompletionResultType]::ParameterName, 'Which round this signer runs')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The signer''s own key file [default: DIR/secrets/signer-I.json]')
            [CompletionResult]::new('--aggregate', '--aggregate', [CompletionResultType]::ParameterName, 'Aggregate every signer''s round files into the graph''s signatures')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;challenge;claim' {
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'One hex value per input left to the claim (`_` at setup), in order')
            [CompletionResult]::new('--lie', '--lie', [CompletionResultType]::ParameterName, 'Play a dishonest operator: flip gate GATE''s output, or compute as if claimed input bit B were flipped (`input:B`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;challenge;simulate' {
            [CompletionResult]::new('--scenario', '--scenario', [CompletionResultType]::ParameterName, 'Which branch to play')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write the JSON report here')
            [CompletionResult]::new('--challenger-coin', '--challenger-coin', [CompletionResultType]::ParameterName, 'The challenger''s coin, paying to its regtest address in graph.json (for a regtest replay); a synthetic coin otherwise')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;challenge;inspect' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout; human messages still go to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zkm;challenge;help' {
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Build the unsigned transaction graph of a deposit, before any claim is made')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Pre-sign every n-of-n input of the graph: all signers at once (local testing), or one signer''s round with only its own key, then `--aggregate`')
            [CompletionResult]::new('claim', 'claim', [CompletionResultType]::ParameterValue, 'Make the operator''s one claim on a signed graph: evaluate, commit, write the kickoff')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Play one branch of the game on a local chain')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Report leaves, tree depth, script and witness sizes, worst-case weights, standardness')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zkm;challenge;help;setup' {
            break
        }
        'zkm;challenge;help;sign' {
            break
        }
        'zkm;challenge;help;claim' {
            break
        }
        'zkm;challenge;help;simulate' {
            break
        }
        'zkm;challenge;help;inspect' {
            break
        }
        'zkm;challenge;help;help' {
            break
        }
        'zkm;help' {
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new Go guest project')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Cross-compile a Go guest to a MIPS ELF with your own Go toolchain')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show what a guest ELF contains: entry point, segments, symbols, Go build info, image id')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a guest ELF in the zkm MIPS virtual machine')
            [CompletionResult]::new('prove', 'prove', [CompletionResultType]::ParameterValue, 'Prove that a guest ELF ran to exit: a STARK proof of its public output and exit status')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify a proof written by `zkm prove`: exit 0 only if it is valid for the program and every expectation holds')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script on stdout')
            [CompletionResult]::new('challenge', 'challenge', [CompletionResultType]::ParameterValue, 'Play the Optimistic Challenge Process for a boolean circuit on a local Bitcoin chain')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zkm;help;new' {
            break
        }
        'zkm;help;build' {
            break
        }
        'zkm;help;inspect' {
            break
        }
        'zkm;help;run' {
            break
        }
        'zkm;help;prove' {
            break
        }
        'zkm;help;verify' {
            break
        }
        'zkm;help;completions' {
            break
        }
        'zkm;help;challenge' {
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Build the unsigned transaction graph of a deposit, before any claim is made')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Pre-sign every n-of-n input of the graph: all signers at once (local testing), or one signer''s round with only its own key, then `--aggregate`')
            [CompletionResult]::new('claim', 'claim', [CompletionResultType]::ParameterValue, 'Make the operator''s one claim on a signed graph: evaluate, commit, write the kickoff')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Play one branch of the game on a local chain')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Report leaves, tree depth, script and witness sizes, worst-case weights, standardness')
            break
        }
        'zkm;help;challenge;setup' {
            break
        }
        'zkm;help;challenge;sign' {
            break
        }
        'zkm;help;challenge;claim' {
            break
        }
        'zkm;help;challenge;simulate' {
            break
        }
        'zkm;help;challenge;inspect' {
            break
        }
        'zkm;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
