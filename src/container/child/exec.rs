//! Executing a method: found on `PATH` like `execvp` finds a program, but
//! executed with `execve`, so no shell is ever involved.
//!
//! The C library's `execvp`, which std's `Command` uses once a `pre_exec`
//! hook is set, runs a file the kernel refuses with ENOEXEC (no `#!`
//! line) through `/bin/sh`. Methods are promised never to meet a shell,
//! so the search is done here, before the fork, and the child calls
//! `execve` itself from its `pre_exec` hook: std's own exec is never
//! reached, and std still does the rest (pipes, the process group,
//! reporting the exec's errno back to the parent). Everything the child
//! needs is allocated before the fork, so between fork and exec it makes
//! only system calls.
//!
//! This module does not supervise; it returns the spawned child.

use super::super::ContainerError;
use super::signals::MethodSignals;
use super::Program;
use nix::libc::{self, c_char};
use nix::unistd::{access, AccessFlags};
use std::ffi::{CString, OsStr};
use std::io::{self, Read};
use std::os::fd::{BorrowedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Where `execvp` searches when `PATH` is not set (glibc's default).
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// How to set the child up between fork and exec.
pub struct Setup {
    pub signals: MethodSignals,
    /// Give the method's new group the terminal on stdin.
    pub take_terminal: bool,
    /// A descriptor the method inherits, and the environment variable
    /// that tells it the number.
    pub inherit_fd: Option<(RawFd, &'static str)>,
    pub capture_stdout: bool,
}

/// `execve`'s arguments, built before the fork.
struct Image {
    path: CString,
    argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
    /// Owns what `argv` and `envp` point into.
    _strings: Vec<CString>,
}

// SAFETY: the pointers point into the heap buffers of `_strings` and
// `path`, which the image owns and never changes; moving the image moves
// no buffer. It is only read, by the child after the fork.
unsafe impl Send for Image {}
unsafe impl Sync for Image {}

/// Finds the program, then forks a child in a new process group that is
/// set up by `setup` and executes it.
pub fn spawn(program: &Program, setup: Setup) -> Result<Child, ContainerError> {
    let name = program.argv.first().map(String::as_str).unwrap_or("");
    let path = find_program(name).map_err(|e| spawn_error(program, None, e))?;
    let image =
        image(&path, &program.argv, setup.inherit_fd).map_err(|e| spawn_error(program, None, e))?;

    let mut command = Command::new(&path);
    command.process_group(0);
    if setup.capture_stdout {
        command.stdout(Stdio::piped());
    }
    let Setup {
        signals,
        take_terminal,
        inherit_fd,
        ..
    } = setup;
    // SAFETY: the hook runs in the forked child, where std has already
    // made it the leader of its own group, and makes only
    // async-signal-safe calls (fcntl, tcsetpgrp, sigaction, sigprocmask,
    // execve); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            // The whole image, not its fields one by one: only the image
            // is `Send` and `Sync`.
            let image = &image;
            if let Some((fd, _)) = inherit_fd {
                // Our copy stays close-on-exec; only the method's loses it.
                if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
            }
            if take_terminal {
                // Allowed from a background group because SIGTTOU is
                // still ignored here. Not fatal: the method then runs
                // without the terminal.
                let stdin = BorrowedFd::borrow_raw(0);
                let _ = nix::unistd::tcsetpgrp(stdin, nix::unistd::getpid());
            }
            signals.restore_in_child()?;
            libc::execve(
                image.path.as_ptr(),
                image.argv.as_ptr(),
                image.envp.as_ptr(),
            );
            Err(io::Error::last_os_error())
        });
    }
    command
        .spawn()
        .map_err(|e| spawn_error(program, Some(&path), e))
}

/// The file to execute for `name`: `name` itself when it has a `/`, else
/// the first executable regular file called `name` in a `PATH` directory
/// (an empty entry is the working directory, as for `execvp`).
fn find_program(name: &str) -> io::Result<PathBuf> {
    if name.contains('/') {
        return Ok(PathBuf::from(name));
    }
    let mut denied = false;
    if !name.is_empty() {
        let search = std::env::var_os("PATH");
        let search = search.as_deref().map_or(DEFAULT_PATH, OsStr::as_bytes);
        for dir in search.split(|b| *b == b':') {
            let dir = if dir.is_empty() { b"." } else { dir };
            let candidate = Path::new(OsStr::from_bytes(dir)).join(name);
            if candidate.metadata().is_ok_and(|m| m.is_file()) {
                if access(&candidate, AccessFlags::X_OK).is_ok() {
                    return Ok(candidate);
                }
                denied = true;
            }
        }
    }
    Err(io::Error::from(if denied {
        io::ErrorKind::PermissionDenied
    } else {
        io::ErrorKind::NotFound
    }))
}

/// Builds `execve`'s path, argv and environment (ours, plus the inherited
/// descriptor's variable).
fn image(path: &Path, argv: &[String], inherit_fd: Option<(RawFd, &str)>) -> io::Result<Image> {
    let c = |bytes: &[u8]| {
        CString::new(bytes).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "an argument contains a NUL byte",
            )
        })
    };
    let args = argv
        .iter()
        .map(|a| c(a.as_bytes()))
        .collect::<io::Result<Vec<_>>>()?;
    let mut env = Vec::new();
    for (key, value) in std::env::vars_os() {
        if inherit_fd.is_some_and(|(_, var)| key == var) {
            continue;
        }
        let mut entry = key.into_vec();
        entry.push(b'=');
        entry.extend_from_slice(value.as_bytes());
        env.push(c(&entry)?);
    }
    if let Some((fd, var)) = inherit_fd {
        env.push(c(format!("{var}={fd}").as_bytes())?);
    }
    let pointers = |strings: &[CString]| {
        let mut p: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        p.push(std::ptr::null());
        p
    };
    let (argv, envp) = (pointers(&args), pointers(&env));
    let mut strings = args;
    strings.extend(env);
    Ok(Image {
        path: c(path.as_os_str().as_bytes())?,
        argv,
        envp,
        _strings: strings,
    })
}

/// Turns a failed spawn into the error users should see. `path` is the
/// file that was executed, once it was found.
fn spawn_error(program: &Program, path: Option<&Path>, source: io::Error) -> ContainerError {
    let name = program.argv.first().cloned().unwrap_or_default();
    let no_exec = source.raw_os_error() == Some(libc::ENOEXEC);
    let not_executable = no_exec
        || matches!(
            source.kind(),
            io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
        );
    if !not_executable {
        return ContainerError::Spawn {
            action: program.action,
            program: name,
            source,
        };
    }
    let exists = path.unwrap_or(Path::new(&name)).exists();
    let hint = match source.kind() {
        _ if no_exec => no_exec_hint(path.unwrap_or(Path::new(&name))),
        io::ErrorKind::NotFound
            if program.from_path_string && name.contains(char::is_whitespace) =>
        {
            "; a string method is one path run without a shell; write an argv array for arguments"
        }
        io::ErrorKind::NotFound if exists => {
            "; the file exists, so the interpreter on its `#!` line is probably missing"
        }
        io::ErrorKind::PermissionDenied if exists => "; is it executable (chmod +x)?",
        _ => "",
    };
    ContainerError::MethodNotExecutable {
        action: program.action,
        program: path.map_or(name, |p| p.display().to_string()),
        source,
        hint,
    }
}

/// Why the kernel would not execute `path` (ENOEXEC), from its first bytes.
fn no_exec_hint(path: &Path) -> &'static str {
    let mut start = [0u8; 4];
    let read = std::fs::File::open(path).and_then(|f| f.take(4).read(&mut start));
    match read.map(|n| &start[..n]) {
        Ok(b"\x7fELF") => "; it is a program for another kind of machine",
        Ok(bytes) if bytes.starts_with(b"#!") => {
            "; the interpreter on its `#!` line cannot be executed"
        }
        _ => {
            "; it has no interpreter line (`#!`), and methods are never run through a shell: \
             add one, such as `#!/bin/sh`"
        }
    }
}
