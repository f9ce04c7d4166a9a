//! Knock-outs: constraints that a test build can switch off, one run at a time, to show
//! that the soundness test guarding each one fails without it.
//!
//! A guarded constraint is written `if kept("chip.what") { … }`. In a normal build
//! `kept` is `true`, a constant the compiler folds away. In the crate's own test binary
//! it reads `ZKM_KNOCKOUT`, a comma-separated list of names, once; a named constraint is
//! then not emitted, and a named bus (`bus.memory`, …) is left out of `check`'s balance.
//!
//! [`knockouts_break_their_tests`] runs each soundness test in a child process of the
//! test binary with its knock-out set, and requires the test to fail there. A name that
//! matches no constraint leaves the child passing, so a typo fails the meta-test too.

/// A switch a test turns on to make the witness forge what an honest one refuses: the
/// thread-local flag `$flag` (tests only) and its reader `$read`, which is `false`
/// outside the crate's unit tests.
macro_rules! test_switch {
    ($(#[$flag_doc:meta])* static $flag:ident; $(#[$read_doc:meta])* fn $read:ident;) => {
        #[cfg(test)]
        thread_local! {
            $(#[$flag_doc])*
            pub(crate) static $flag: std::cell::Cell<bool> =
                const { std::cell::Cell::new(false) };
        }

        $(#[$read_doc])*
        pub(crate) fn $read() -> bool {
            #[cfg(test)]
            {
                $flag.with(|f| f.get())
            }
            #[cfg(not(test))]
            {
                false
            }
        }
    };
}
pub(crate) use test_switch;

/// Whether the constraint `name` is emitted (always, outside the crate's unit tests).
#[cfg(not(test))]
#[inline(always)]
pub(crate) fn kept(_name: &str) -> bool {
    true
}

/// Whether the constraint `name` is emitted: not when `ZKM_KNOCKOUT` names it.
#[cfg(test)]
pub(crate) fn kept(name: &str) -> bool {
    use std::sync::OnceLock;
    static OFF: OnceLock<Vec<String>> = OnceLock::new();
    let off = OFF.get_or_init(|| {
        std::env::var("ZKM_KNOCKOUT")
            .map(|v| v.split(',').map(str::to_string).collect())
            .unwrap_or_default()
    });
    !off.iter().any(|o| o == name)
}

/// Runs `test` (a path under `prover::`) alone in a child process of this test binary
/// with `ZKM_KNOCKOUT` set to `knockout`: whether it passed, and its output.
#[cfg(test)]
pub(crate) fn run_child(knockout: &str, test: &str) -> (bool, String) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([&format!("prover::{test}"), "--exact", "--test-threads=1"])
        .env("ZKM_KNOCKOUT", knockout)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success(), text)
}

#[cfg(test)]
mod tests {
    use super::run_child;

    /// Each soundness test (under `prover::`), and what to knock out so that it must
    /// fail. A test of several parts has a line per part; each part's knock-out leaves
    /// the parts before it caught. Where one forged cell breaks two constraints at once
    /// (a value and the transition that carries it on, say), both are knocked out.
    const CASES: &str = "
soundness::add_sub_result_is_checked                  add_sub.adder
soundness::add_overflow_is_refused                    add_sub.parity
soundness::bitwise_result_is_checked                  bus.byte,bus.instr
soundness::branch_condition_is_checked                branch.eq
soundness::loaded_value_is_checked                    memory.lw
soundness::stored_value_is_checked                    memory.sb
soundness::syscall_result_is_checked                  syscall.write_result
soundness::register_write_is_checked                  bus.instr
soundness::previous_register_value_is_checked         bus.memory
soundness::flags_must_be_boolean                      cpu.flags_bool
soundness::flags_must_be_boolean                      flags.bool,add_sub.adder
soundness::multiplicities_must_match                  bus.program
soundness::multiplicities_must_match                  program.padding
soundness::padding_rows_send_nothing                  bus.instr
soundness::padding_rows_send_nothing                  cpu.real_prefix
soundness::writes_to_zero_are_impossible              bus.program
soundness::branch_targets_are_checked                 cpu.target,cpu.next_pc
soundness::delay_slots_are_checked                    cpu.likely,cpu.pc,cpu.target
soundness::branches_are_taken_only_when_their_condition_holds  cpu.taken_branch,cpu.target,cpu.next_pc
soundness::timestamps_must_increase                   access.ts_range
soundness::first_row_is_the_entry                     cpu.first_pc
soundness::first_row_is_the_entry                     cpu.first_clk,cpu.halt_clk
soundness::first_row_is_the_entry                     cpu.halt_clk
soundness::exit_code_is_checked                       syscall.exit_code
soundness::initial_state_is_the_statements            init.periodic
soundness::output_bytes_are_the_memory_bytes_written  output.byte
soundness::output_is_neither_longer_nor_shorter_than_written  output.periodic
soundness::every_write_to_fd3_reaches_the_output      syscall.has_bytes
soundness::every_write_to_fd3_reaches_the_output      bus.memory
soundness::output_rows_continue_their_write           output.waddr
soundness::output_writes_start_where_the_request_says output.continue
soundness::memory_init_must_be_the_image              bus.image
soundness::duplicate_init_addresses_are_refused       boundary.gap
soundness::read_only_words_keep_their_value           boundary.ro_final
soundness::register_targets_cannot_alias_modulo_p     cpu.jr_range
soundness::stores_to_read_only_words_are_refused      memory.ro_store
soundness::stores_to_read_only_words_are_refused      bus.memory
soundness::identity_calls_answer_what_linux_does      syscall.ident_result
soundness::every_log_write_is_read_from_memory        syscall.log_bytes
soundness::log_rows_continue_their_write              output.waddr
soundness::write_buffers_cannot_alias_modulo_p        syscall.buf_range
soundness::every_bus_has_one_message_width            check.widths
soundness::reads_are_never_longer_than_requested      syscall.read_full
soundness::reads_are_never_longer_than_requested      syscall.read_big
soundness::a_read_of_a_file_of_known_size_stops_at_its_end syscall.read_bound
soundness::the_bytes_left_in_a_file_of_known_size_are_its_size_less_the_cursor syscall.read_left
soundness::a_fixed_size_is_not_forgotten              syscall.read_unfixed
soundness::a_short_read_of_a_file_of_known_size_returns_all_that_is_left syscall.read_short
soundness::fstat_names_a_standard_descriptor          fs.stat_fd
soundness::stdout_and_stderr_have_size_0              fs.stat_tty
soundness::fstat_keeps_the_size_a_short_read_fixed    fs.stat_size
soundness::fstat_shows_no_size_below_the_bytes_read   fs.stat_cursor
soundness::fstat_counts_the_blocks_of_the_size        fs.stat_blocks
soundness::fstat_sizes_are_below_2_28                 fs.stat_range
soundness::fstat_writes_the_descriptors_fixed_stat    fs.stat_answer
soundness::fstat_writes_the_descriptors_fixed_stat    input.fixed
soundness::read_bytes_land_only_in_their_buffer       input.mask
soundness::reads_after_their_first_word_start_at_offset_0  input.start
soundness::read_bytes_are_bytes                       input.range
soundness::input_rows_continue_their_read             input.continue
soundness::input_rows_start_with_a_request            input.first_row
soundness::every_read_reaches_the_input_chip          syscall.in_bytes
soundness::clocks_never_go_backwards                  clock.monotone
soundness::clocks_never_go_backwards                  clock.valid
soundness::clock_readings_are_bytes                   clock.bytes
soundness::sleeps_return_0_only_for_valid_requests    clock.valid
soundness::gettimeofday_writes_the_clocks_microseconds clock.usec
soundness::clock_getres_answers_1_ns                  clock.res
soundness::a_64_bit_sleep_has_a_non_negative_request  clock.wide_sec
soundness::sched_getaffinity_answers_one_cpu          input.fixed
soundness::uname_answers_the_vms_names                input.fixed
soundness::uname_answers_the_vms_names                syscall.uname_result
soundness::getrandom_returns_its_count                syscall.random_result
soundness::opens_fail_with_enoent                     fs.result
soundness::fcntl_answers_the_descriptors_flags        fs.result
soundness::every_open_reads_its_path                  fs.path
soundness::opens_never_create                         fs.flags
soundness::file_system_arguments_are_checked          fs.dirfd
soundness::file_system_arguments_are_checked          fs.fd
soundness::file_system_arguments_are_checked          fs.cmd
soundness::ioctls_fail_with_enotty                    fs.result
soundness::lookups_check_their_arguments_first        fs.lookup_args
soundness::getcwd_returns_its_length                  syscall.getcwd
soundness::getcwd_needs_room_for_its_answer           syscall.getcwd_size
soundness::lookups_return_enoent                      fs.result
soundness::ioctl_requests_are_checked                 fs.request
soundness::getrlimit_answers_only_for_the_open_file_limit getset.resource
soundness::sockets_fail_only_as_linux_would           fs.socket_family
soundness::sockets_fail_only_as_linux_would           fs.socket_type
soundness::only_pr_set_vma_fails_with_einval          fs.prctl_option
soundness::ioctl_requests_are_checked                 fs.fd
soundness::paths_end_at_their_nul                     path.nul
soundness::path_bytes_before_the_nul_are_not_zero     path.nonzero
soundness::paths_are_at_most_path_max_minus_one_bytes path.length
soundness::path_rows_after_padding_are_refused        path.prefix
alu_tests::shifts_are_exact_and_wrong_answers_are_caught   shift.result
alu_tests::shifts_are_exact_and_wrong_answers_are_caught   shift.amount
alu_tests::comparisons_are_exact_and_traps_that_fire_are_refused  compare.lt
alu_tests::comparisons_are_exact_and_traps_that_fire_are_refused  compare.trap
alu_tests::comparisons_are_exact_and_traps_that_fire_are_refused  compare.eq
alu_tests::multiplies_are_exact_and_wrong_answers_are_caught  mul.set
alu_tests::multiplies_are_exact_and_wrong_answers_are_caught  mul.sign,mul.product
alu_tests::multiplies_are_exact_and_wrong_answers_are_caught  mul.product
alu_tests::divides_are_exact_and_wrong_answers_are_caught  div.product
alu_tests::divides_are_exact_and_wrong_answers_are_caught  div.zero,div.divisor
alu_tests::divides_are_exact_and_wrong_answers_are_caught  div.ovf,div.divisor
alu_tests::a_remainder_as_large_as_the_divisor_is_refused  div.bound
alu_tests::leading_counts_are_exact_and_wrong_answers_are_caught  clz.top,clz.xt
alu_tests::leading_counts_are_exact_and_wrong_answers_are_caught  clz.none
alu_tests::byte_rearrangements_are_exact              bus.byte
alu_tests::bitwise_results_are_exact                  bus.byte
alu_tests::conditional_moves_move_exactly_when_they_should  movz.moves,movz.prev
alu_tests::conditional_moves_move_exactly_when_they_should  movz.zero,movz.prev
alu_tests::unaligned_and_linked_accesses_are_exact_and_wrong_answers_are_caught  memory.lwl_lwr
alu_tests::unaligned_and_linked_accesses_are_exact_and_wrong_answers_are_caught  memory.swl_swr
alu_tests::unaligned_and_linked_accesses_are_exact_and_wrong_answers_are_caught  memory.sc
alu_tests::misaligned_accesses_are_refused            memory.aligned
alu_tests::bit_fields_are_exact_and_wrong_answers_are_caught  ext.result
soundness::mmap_never_returns_memory_in_use            mm.order
soundness::mappings_lie_above_the_break               mm.bounds
soundness::mapped_memory_starts_zeroed                boundary.zero_init
soundness::mapped_words_start_when_mapped             pages.ts
soundness::fixed_mappings_replace_only_reservations   mm.reserved
soundness::an_mmap_hint_is_the_result                 mm.hint
soundness::an_mmap2_offset_does_not_overflow          mm.pgoff
soundness::a_commit_lies_inside_its_reservation       mm.inside
soundness::madvise_and_brk_answer_as_linux            mm.madvise
soundness::madvise_and_brk_answer_as_linux            mm.brk
soundness::chains_end_at_a_discard                    boundary.end
soundness::page_ends_are_the_next_zeroing             pages.end
soundness::page_zeroings_are_in_time_order            pages.order
soundness::a_discard_zeroes_only_its_pages            bus.cover
soundness::discards_lie_in_readable_mappings          mm.dontneed_rw
soundness::no_access_reaches_past_a_munmap            boundary.end
soundness::an_unmapped_page_is_not_mapped_again_by_its_munmap pages.unmapped
soundness::a_munmap_ends_exactly_its_mapping          mm.munmap
soundness::no_madvise_after_a_munmap                  mm.alive
soundness::no_mask_blocks_sigkill_or_sigstop          getset.unblockable
soundness::an_action_reads_back_as_it_was_set         bus.memory
soundness::kernel_state_starts_once                   state.gap
soundness::sigkill_and_sigstop_keep_their_actions     getset.kill_stop
soundness::signal_sets_are_16_bytes                   getset.size
soundness::signals_are_1_to_128                       getset.sig_range
soundness::a_mask_is_combined_as_how_says              getset.how
soundness::sig_unblock_takes_out_exactly_its_set       getset.combine
soundness::alternate_stacks_are_valid                 getset.stack_size
soundness::alternate_stacks_are_valid                 getset.stack_flags
soundness::sigaltstack_is_proved_only_without_a_stack getset.no_altstack
soundness::a_soft_limit_stays_within_the_hard_one getset.limit
soundness::kernel_words_of_the_initial_state_start_only_there  state.dynamic
soundness::futex_wait_returns_eagain_only_when_the_word_differs futex.eagain
soundness::futex_wait_times_out_only_with_a_timeout   futex.timeout
soundness::futex_wake_wakes_no_more_than_could_wait   futex.wake
soundness::a_futex_timeout_is_a_valid_timespec        futex.timespec
soundness::a_clone_child_gets_the_parents_registers   clone.copy
soundness::a_switch_changes_no_other_register         bus.memory
soundness::a_clone_child_gets_a_new_stack             clone.stack
soundness::a_switch_names_a_thread_below_2_16         sched.new_range
soundness::a_signal_frame_saves_the_faulting_registers signal.frame
soundness::a_handler_gets_its_arguments               signal.handler_regs
soundness::a_handler_has_gos_flags                    signal.flags
soundness::a_sent_signals_frame_saves_the_calls_success signal.frame
soundness::a_sent_signals_handler_sees_the_calls_success signal.handler_regs
soundness::a_kill_is_not_a_tkill                       signal.sent_call
soundness::a_sent_signal_goes_to_the_calling_thread    signal.target
soundness::a_sent_signals_arguments_are_its_registers  signal.sent_args
soundness::a_sent_signals_info_says_who_sent_it        signal.sent_info
soundness::a_delivered_signal_is_the_one_sent         signal.sent_sig
soundness::a_blocked_signal_is_not_delivered          signal.unblocked
soundness::rt_sigreturn_restores_the_frames_registers sigreturn.restore
soundness::epoll_pwait_reports_a_ready_eventfd        poll.ready
soundness::an_eventfd_read_fails_with_eagain_only_when_empty poll.eagain
soundness::epoll_watches_only_epollin                 poll.events
soundness::an_eventfd_counter_is_the_sum_of_its_writes poll.counter
soundness::a_new_descriptor_is_the_lowest_free_one    poll.files
soundness::a_new_descriptor_is_below_the_open_file_limit poll.limit
soundness::an_eventfd_read_needs_a_user_buffer        poll.read_buf
soundness::an_eventfd_is_never_a_semaphore            poll.flags
soundness::eventfd_transfers_are_8_bytes              poll.size
soundness::an_epoll_buffer_lies_in_user_space         poll.wait_buf
soundness::no_syscall_sits_in_a_delay_slot            cpu.syscall_slot
soundness::a_pending_signal_is_one_the_thread_blocks  send.blocked
soundness::one_signal_is_pending_per_thread           send.empty
soundness::no_action_is_set_while_a_signal_is_pending getset.pending_count
soundness::an_unblocked_pending_signal_is_delivered   getset.pending
soundness::a_delivered_pending_signal_was_pending     signal.pending
soundness::a_handlers_return_keeps_a_pending_signal_blocked sigreturn.pending
soundness::no_stop_signal_is_sent                     send.stop
soundness::no_stop_signal_is_taken_at_once            signal.stopcont
soundness::an_ignored_signals_action_ignores_it       send.action
soundness::a_fatal_signal_gives_its_exit_status       send.exit_code
soundness::a_nested_frame_says_it_is_on_the_stack     signal.frame
soundness::a_nested_frame_fits_on_the_alternate_stack signal.onstack_room
soundness::a_switch_delivers_the_signal_its_thread_takes sched.take
soundness::a_signal_taken_at_a_switch_has_a_handler  send.take_action
soundness::a_signal_taken_at_a_switch_goes_to_another_thread send.other
soundness::a_signal_taken_at_a_switch_says_who_sent_it signal.take_info
soundness::a_signal_goes_to_a_thread_that_exists      send.target
soundness::a_signal_goes_to_a_thread_with_an_index    send.target_low
soundness::an_exited_thread_never_runs_again          cpu.exit_switch
soundness::an_exited_thread_never_runs_again          syscall.exit_mark
soundness::an_exited_thread_never_runs_again          cpu.exit_switch,sched.alive
soundness::a_wake_counts_no_exited_thread             futex.exits
soundness::no_signal_goes_to_an_exited_thread         send.alive
soundness::an_alternate_stack_is_disabled_only_off_it getset.off_stack
soundness::a_thread_with_an_alternate_stack_does_not_report_none getset.stack_query
poseidon2::tests::requests_balance_against_the_table_and_forgeries_do_not bus.poseidon2
poseidon2::tests::requests_balance_against_the_table_and_forgeries_do_not poseidon2.rounds
";

    fn cases() -> Vec<(&'static str, &'static str)> {
        CASES
            .lines()
            .filter_map(|l| l.split_once(char::is_whitespace))
            .map(|(test, ko)| (test, ko.trim()))
            .collect()
    }

    #[test]
    fn knockouts_break_their_tests() {
        if std::env::var_os("ZKM_KNOCKOUT").is_some() {
            return; // a child run: the knock-out is for another test
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cases = cases();
        assert!(cases.len() > 50);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let failures = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(test, ko)) = cases.get(i) else {
                        break;
                    };
                    let (passed, text) = run_child(ko, test);
                    // A filter that matched nothing also "passes": the test must have run.
                    if passed || !text.contains("1 failed") {
                        failures.lock().unwrap().push(format!(
                            "{test} without {ko}: {}",
                            if passed {
                                "still passes"
                            } else {
                                "did not run"
                            }
                        ));
                    }
                });
            }
        });
        let failures = failures.into_inner().unwrap();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn every_knockout_point_has_a_test() {
        // A constraint marked for knocking out that no case knocks out is a claim with no
        // evidence behind it.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/prover");
        let mut points = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("knockout.rs") {
                continue; // its documentation shows the form
            }
            let text = std::fs::read_to_string(path).unwrap();
            for (i, _) in text.match_indices("if kept(\"") {
                let rest = &text[i + "if kept(\"".len()..];
                points.insert(rest[..rest.find('"').unwrap()].to_string());
            }
        }
        assert!(points.len() > 40, "{points:?}");
        let cases = cases();
        let named: std::collections::BTreeSet<&str> =
            cases.iter().flat_map(|&(_, ko)| ko.split(',')).collect();
        let missing: Vec<_> = points
            .iter()
            .filter(|p| !named.contains(p.as_str()))
            .collect();
        assert!(missing.is_empty(), "no case knocks out {missing:?}");
    }
}
