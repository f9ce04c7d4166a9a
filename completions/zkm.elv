
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
            cand completions 'Print a shell completion script on stdout'
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
        &'zkm;help'= {
            cand new 'Create a new Go guest project'
            cand build 'Cross-compile a Go guest to a MIPS ELF with your own Go toolchain'
            cand inspect 'Show what a guest ELF contains: entry point, segments, symbols, Go build info, image id'
            cand run 'Run a guest ELF in the zkm MIPS virtual machine'
            cand completions 'Print a shell completion script on stdout'
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
        &'zkm;help;completions'= {
        }
        &'zkm;help;help'= {
        }
    ]
    $completions[$command]
}
