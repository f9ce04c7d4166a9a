# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_zkm_global_optspecs
    string join \n json q/quiet v/verbose h/help V/version
end

function __fish_zkm_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_zkm_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_zkm_using_subcommand
    set -l cmd (__fish_zkm_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c zkm -n "__fish_zkm_needs_command" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_needs_command" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_needs_command" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_needs_command" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_needs_command" -f -a "new" -d 'Create a new Go guest project'
complete -c zkm -n "__fish_zkm_needs_command" -f -a "build" -d 'Cross-compile a Go guest to a MIPS ELF with your own Go toolchain'
complete -c zkm -n "__fish_zkm_needs_command" -f -a "inspect" -d 'Show what a guest ELF contains: entry point, segments, symbols, Go build info, image id'
complete -c zkm -n "__fish_zkm_needs_command" -f -a "run" -d 'Run a guest ELF in the zkm MIPS virtual machine'
complete -c zkm -n "__fish_zkm_needs_command" -f -a "prove" -d 'Prove that a guest ELF ran to exit: a STARK proof of its public output and exit status'
complete -c zkm -n "__fish_zkm_needs_command" -f -a "verify" -d 'Verify a proof written by `zkm prove`: exit 0 only if it is valid for the program and every expectation holds'
complete -c zkm -n "__fish_zkm_needs_command" -f -a "completions" -d 'Print a shell completion script on stdout'
complete -c zkm -n "__fish_zkm_needs_command" -f -a "challenge" -d 'Play the Optimistic Challenge Process for a boolean circuit on a local Bitcoin chain'
complete -c zkm -n "__fish_zkm_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zkm -n "__fish_zkm_using_subcommand new" -l name -d 'Go module path [default: the directory\'s name]' -r
complete -c zkm -n "__fish_zkm_using_subcommand new" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand new" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand new" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand new" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_using_subcommand new" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand build" -l go -d 'The go command to use [default: $ZKM_GO, then `go` on PATH]' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand build" -s o -l output -d 'Where to write the ELF [default: <module root>/target/zkm/<name>.elf]' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand build" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand build" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand build" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand build" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_using_subcommand build" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand inspect" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand inspect" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand inspect" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_using_subcommand inspect" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand run" -s i -l input -d 'The private input, read by the guest from stdin; `-` reads zkm\'s own stdin [default: empty]' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand run" -l public-out -d 'Where to write what the guest writes to fd 3 [default: discarded]' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand run" -l max-cycles -d 'Stop after this many instructions (exit code 103)' -r
complete -c zkm -n "__fish_zkm_using_subcommand run" -l env -d 'Add KEY=VALUE to the guest\'s environment (empty by default); repeatable' -r
complete -c zkm -n "__fish_zkm_using_subcommand run" -l report -d 'Write a JSON report (exit code, cycles, public output, syscalls...) to FILE' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand run" -l strace -d 'Print each system call, its arguments and its result on stderr, as `qemu-mips -strace` does (the run is slower)'
complete -c zkm -n "__fish_zkm_using_subcommand run" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand run" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand run" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_using_subcommand run" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand prove" -s i -l input -d 'The private input, read by the guest from stdin; `-` reads zkm\'s own stdin [default: empty]' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand prove" -s o -l output -d 'Where to write the proof [default: the ELF\'s name with .proof]' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand prove" -l max-cycles -d 'Stop after this many instructions (exit code 103)' -r
complete -c zkm -n "__fish_zkm_using_subcommand prove" -l env -d 'Add KEY=VALUE to the guest\'s environment (empty by default; part of the statement); repeatable' -r
complete -c zkm -n "__fish_zkm_using_subcommand prove" -l check -d 'Check every constraint of the witness before proving (slower; for debugging)'
complete -c zkm -n "__fish_zkm_using_subcommand prove" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand prove" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand prove" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand prove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_using_subcommand prove" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand verify" -l elf -d 'The ELF the proof must be for' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand verify" -l image-id -d 'The image id the proof must be for (64 hex digits; `zkm inspect ELF` shows it)' -r
complete -c zkm -n "__fish_zkm_using_subcommand verify" -l expect-output -d 'The public output (fd 3) the proof must state, byte for byte' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand verify" -l expect-exit -d 'The exit status the proof must state' -r
complete -c zkm -n "__fish_zkm_using_subcommand verify" -l env -d 'With --expect-args: a KEY=VALUE of the expected environment; repeatable' -r
complete -c zkm -n "__fish_zkm_using_subcommand verify" -l expect-args -d 'Require the arguments after the program\'s name to be exactly those after `--`, and the environment exactly the --env values, in order (without it the proof\'s are shown, not checked; argv[0], the proved ELF\'s file name, never is)'
complete -c zkm -n "__fish_zkm_using_subcommand verify" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand verify" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand verify" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_using_subcommand verify" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand completions" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand completions" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_using_subcommand completions" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -f -a "setup" -d 'Build the unsigned transaction graph of a deposit, before any claim is made'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -f -a "sign" -d 'Pre-sign every n-of-n input of the graph: all signers at once (local testing), or one signer\'s round with only its own key, then `--aggregate`'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -f -a "claim" -d 'Make the operator\'s one claim on a signed graph: evaluate, commit, write the kickoff'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -f -a "simulate" -d 'Play one branch of the game on a local chain'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -f -a "inspect" -d 'Report leaves, tree depth, script and witness sizes, worst-case weights, standardness'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and not __fish_seen_subcommand_from setup sign claim simulate inspect help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l circuit -d 'A Bristol Fashion file, or builtin:NAME (adderN, comparatorN, multiplierN, sha256)' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l input -d 'One per circuit input: a hex constant fixed now (big-endian, bit 0 on the first wire), or `_` for an input the operator commits when it claims' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l signers -d 'Number of n-of-n signers [default: 3, or as many as --keys has]' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l amount -d 'Value of the deposit, in sats: what a true claim is paid' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l stake -d 'The operator\'s collateral, posted with the kickoff [default: a tenth of --amount]' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l reward -d 'What a disprove leaves whoever publishes it, out of the stake [default: a tenth of the stake]' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l fee-rate -d 'Fee rate of every pre-signed transaction, in sat/vB' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l challenge-period -d 'P: blocks to challenge, per Assert step, and to disprove' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l refund-after -d 'Blocks after which the depositor may take back an unclaimed deposit [default: 4320, or 4P if more]' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l challenge-fee -d 'What the challenger pays the operator to challenge [default: what the Asserts cost]' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l seed -d 'Derive every key from this seed (local testing: the seed gives away every key)' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l keys -d 'Read the keys from a JSON file (see docs/ocp.md)' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l n-of-n -d 'How the n signers sign' -r -f -a "musig2\t'One MuSig2 (BIP327) aggregate key'
checksigadd\t'`<k1> CHECKSIG <k2> CHECKSIGADD … <n> NUMEQUAL`'"
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l funding -d 'A real funding outpoint for regtest replay (pay the amount graph.json asks to the depositor\'s address first)' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l stake-coin -d 'The operator\'s real stake coin for regtest replay (exactly --stake sats to its address)' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -s o -l output -d 'The game directory to write' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from setup" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from sign" -l n-of-n -d 'Switch the n-of-n scheme (rebuilds the graph: txids change)' -r -f -a "musig2\t'One MuSig2 (BIP327) aggregate key'
checksigadd\t'`<k1> CHECKSIG <k2> CHECKSIGADD … <n> NUMEQUAL`'"
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from sign" -l signer -d 'Sign as this one signer (its index in graph.json\'s signers), with --round' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from sign" -l round -d 'Which round this signer runs' -r -f -a "nonces\t'Round 1: fresh public nonces for every pre-signed input'
partial\t'Round 2: partial signatures over everyone\'s nonces (with checksigadd, signatures)'"
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from sign" -l key -d 'The signer\'s own key file [default: DIR/secrets/signer-I.json]' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from sign" -l aggregate -d 'Aggregate every signer\'s round files into the graph\'s signatures'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from sign" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from sign" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from sign" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from sign" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from sign" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from claim" -l input -d 'One hex value per input left to the claim (`_` at setup), in order' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from claim" -l lie -d 'Play a dishonest operator: flip gate GATE\'s output, or compute as if claimed input bit B were flipped (`input:B`)' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from claim" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from claim" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from claim" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from claim" -s h -l help -d 'Print help'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from claim" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from simulate" -l scenario -d 'Which branch to play' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from simulate" -l report -d 'Write the JSON report here' -r -F
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from simulate" -l challenger-coin -d 'The challenger\'s coin, paying to its regtest address in graph.json (for a regtest replay); a synthetic coin otherwise' -r
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from simulate" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from simulate" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from simulate" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from simulate" -s h -l help -d 'Print help'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from simulate" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from inspect" -l json -d 'Print machine-readable JSON on stdout; human messages still go to stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from inspect" -s q -l quiet -d 'Print nothing but errors on stderr'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from inspect" -s v -l verbose -d 'Print more detail on stderr (repeat for more)'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from inspect" -s V -l version -d 'Print version'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from help" -f -a "setup" -d 'Build the unsigned transaction graph of a deposit, before any claim is made'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from help" -f -a "sign" -d 'Pre-sign every n-of-n input of the graph: all signers at once (local testing), or one signer\'s round with only its own key, then `--aggregate`'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from help" -f -a "claim" -d 'Make the operator\'s one claim on a signed graph: evaluate, commit, write the kickoff'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from help" -f -a "simulate" -d 'Play one branch of the game on a local chain'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Report leaves, tree depth, script and witness sizes, worst-case weights, standardness'
complete -c zkm -n "__fish_zkm_using_subcommand challenge; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zkm -n "__fish_zkm_using_subcommand help; and not __fish_seen_subcommand_from new build inspect run prove verify completions challenge help" -f -a "new" -d 'Create a new Go guest project'
complete -c zkm -n "__fish_zkm_using_subcommand help; and not __fish_seen_subcommand_from new build inspect run prove verify completions challenge help" -f -a "build" -d 'Cross-compile a Go guest to a MIPS ELF with your own Go toolchain'
complete -c zkm -n "__fish_zkm_using_subcommand help; and not __fish_seen_subcommand_from new build inspect run prove verify completions challenge help" -f -a "inspect" -d 'Show what a guest ELF contains: entry point, segments, symbols, Go build info, image id'
complete -c zkm -n "__fish_zkm_using_subcommand help; and not __fish_seen_subcommand_from new build inspect run prove verify completions challenge help" -f -a "run" -d 'Run a guest ELF in the zkm MIPS virtual machine'
complete -c zkm -n "__fish_zkm_using_subcommand help; and not __fish_seen_subcommand_from new build inspect run prove verify completions challenge help" -f -a "prove" -d 'Prove that a guest ELF ran to exit: a STARK proof of its public output and exit status'
complete -c zkm -n "__fish_zkm_using_subcommand help; and not __fish_seen_subcommand_from new build inspect run prove verify completions challenge help" -f -a "verify" -d 'Verify a proof written by `zkm prove`: exit 0 only if it is valid for the program and every expectation holds'
complete -c zkm -n "__fish_zkm_using_subcommand help; and not __fish_seen_subcommand_from new build inspect run prove verify completions challenge help" -f -a "completions" -d 'Print a shell completion script on stdout'
complete -c zkm -n "__fish_zkm_using_subcommand help; and not __fish_seen_subcommand_from new build inspect run prove verify completions challenge help" -f -a "challenge" -d 'Play the Optimistic Challenge Process for a boolean circuit on a local Bitcoin chain'
complete -c zkm -n "__fish_zkm_using_subcommand help; and not __fish_seen_subcommand_from new build inspect run prove verify completions challenge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zkm -n "__fish_zkm_using_subcommand help; and __fish_seen_subcommand_from challenge" -f -a "setup" -d 'Build the unsigned transaction graph of a deposit, before any claim is made'
complete -c zkm -n "__fish_zkm_using_subcommand help; and __fish_seen_subcommand_from challenge" -f -a "sign" -d 'Pre-sign every n-of-n input of the graph: all signers at once (local testing), or one signer\'s round with only its own key, then `--aggregate`'
complete -c zkm -n "__fish_zkm_using_subcommand help; and __fish_seen_subcommand_from challenge" -f -a "claim" -d 'Make the operator\'s one claim on a signed graph: evaluate, commit, write the kickoff'
complete -c zkm -n "__fish_zkm_using_subcommand help; and __fish_seen_subcommand_from challenge" -f -a "simulate" -d 'Play one branch of the game on a local chain'
complete -c zkm -n "__fish_zkm_using_subcommand help; and __fish_seen_subcommand_from challenge" -f -a "inspect" -d 'Report leaves, tree depth, script and witness sizes, worst-case weights, standardness'
