//! Whether anything is left alive in a method's process group once its
//! leader has exited, read from `/proc`.
//!
//! The kernel offers no call that answers this while the leader is an
//! unreaped zombie (`kill(-pgid, 0)` counts the zombie), and the leader
//! must stay unreaped while the group is signalled (see the parent
//! module). So each process's `stat` line is read: its state and its
//! process group. Zombies count as gone: they hold no files and run no
//! code. This module only looks; it signals and reaps nothing.

use nix::unistd::Pid;
use std::fs;

/// Whether a live process other than `leader` is in the process group
/// `leader` leads. `None` when `/proc` cannot be read, so nobody can
/// tell.
pub fn has_stragglers(leader: Pid) -> Option<bool> {
    let leader = leader.as_raw();
    let Ok(listing) = fs::read_dir("/proc") else {
        return None;
    };
    for entry in listing.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        if pid == leader {
            continue;
        }
        // A process that exits meanwhile has no `stat` any more: gone.
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some((state, group)) = state_and_group(&stat) {
            if group == leader && !matches!(state, "Z" | "X" | "x") {
                return Some(true);
            }
        }
    }
    // An empty listing means `/proc` is not the proc filesystem: at the
    // least our own process would be there.
    fs::metadata("/proc/self/stat").ok().map(|_| false)
}

/// The state letter and the process group from a `/proc/<pid>/stat`
/// line. The command name before them is in parentheses and may itself
/// contain spaces and parentheses, so the fields start after the last `)`.
fn state_and_group(stat: &str) -> Option<(&str, i32)> {
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let state = fields.next()?;
    let _parent = fields.next()?;
    let group = fields.next()?.parse().ok()?;
    Some((state, group))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_the_last_parenthesis() {
        let stat = "42 (a (b) c) S 1 40 40 0 -1 4194560 0";
        assert_eq!(state_and_group(stat), Some(("S", 40)));
        assert_eq!(state_and_group("42 (sh"), None);
    }

    #[test]
    fn a_live_member_other_than_the_leader_is_a_straggler() {
        use std::os::unix::process::CommandExt;
        use std::process::Command;
        let sleep = |group: i32| {
            Command::new("sleep")
                .arg("100")
                .process_group(group)
                .spawn()
                .expect("spawn sleep")
        };
        let mut leader = sleep(0);
        let group = Pid::from_raw(leader.id() as i32);
        let alone = has_stragglers(group);
        let mut member = sleep(group.as_raw());
        let joined = has_stragglers(group);
        let _ = member.kill();
        let _ = member.wait();
        let after = has_stragglers(group);
        let _ = leader.kill();
        let _ = leader.wait();
        assert_eq!(
            (alone, joined, after),
            (Some(false), Some(true), Some(false))
        );
    }
}
