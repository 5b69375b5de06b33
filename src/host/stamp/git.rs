//! What the git work tree says about the commit being built, read through
//! libgit2 (git2).
//!
//! Read-only: nothing here writes to the repository, its index or its
//! config, and no hook, filter driver or fsmonitor is ever run (libgit2
//! runs none of them when reading status). That is why the
//! `safe.directory` ownership check is switched off: in CI the checkout
//! often belongs to another uid than the build step (a container running
//! as root over a runner's checkout), and the check exists to stop git
//! *executing* configuration from an untrusted repository, which a
//! read-only libgit2 stamp never does.
//!
//! The remote URL is turned into a web address here, so the raw URL, with
//! whatever token the CI system cloned with, never leaves this module.
//! CI variables are not read here; [`super`] combines both.

use super::source_url;
use crate::host::error::HostError;
use git2::{DescribeFormatOptions, DescribeOptions, ErrorCode, Repository, Status, StatusOptions};
use std::path::{Path, PathBuf};

/// The facts about HEAD and the work tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitFacts {
    /// The work tree's root.
    pub workdir: PathBuf,
    /// HEAD's full commit id.
    pub head: String,
    /// HEAD's commit id abbreviated as `git rev-parse --short` would.
    pub head_short: String,
    /// The branch HEAD points at; `None` when detached.
    pub branch: Option<String>,
    /// Tags pointing at HEAD, sorted.
    pub tags: Vec<String>,
    /// `git describe --tags`; `None` when no tag is reachable.
    pub describe: Option<String>,
    /// Tracked changes or untracked, non-ignored files (the excluded
    /// output file aside).
    pub dirty: bool,
    /// HEAD's committer time, seconds since the epoch.
    pub commit_time: i64,
    /// The clone has truncated history (`git clone --depth N`).
    pub shallow: bool,
    /// The web address of `origin` (else the first remote), credentials
    /// removed; `None` without a remote or for local remotes.
    pub source_url: Option<String>,
}

/// Reads the repository containing `dir`. `exclude` is a file that does
/// not count towards the dirty state even if untracked: the stamp's own
/// output.
pub fn read(dir: &Path, exclude: Option<&Path>) -> Result<GitFacts, HostError> {
    if !dir.exists() {
        return Err(HostError::RepoMissing {
            path: dir.to_path_buf(),
        });
    }
    disable_owner_check(dir)?;
    let repo = Repository::discover(dir).map_err(|source| HostError::NotARepo {
        path: dir.to_path_buf(),
        source,
    })?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| HostError::BareRepo {
            path: dir.to_path_buf(),
        })?
        .to_path_buf();
    let git = |operation: &'static str| {
        let path = workdir.clone();
        move |source| HostError::Git {
            path,
            operation,
            source,
        }
    };

    let head_ref = repo.head().map_err(|source| match source.code() {
        ErrorCode::UnbornBranch | ErrorCode::NotFound => HostError::NoCommit {
            path: workdir.clone(),
        },
        _ => git("read HEAD")(source),
    })?;
    let commit = head_ref
        .peel_to_commit()
        .map_err(git("read the commit at HEAD"))?;
    let head = commit.id();
    let head_short = commit
        .as_object()
        .short_id()
        .ok()
        .and_then(|buf| buf.as_str().ok().map(str::to_owned))
        .unwrap_or_else(|| head.to_string()[..7].to_owned());
    let branch = if head_ref.is_branch() {
        head_ref.shorthand().ok().map(str::to_owned)
    } else {
        None
    };

    Ok(GitFacts {
        head: head.to_string(),
        head_short,
        branch,
        tags: tags_at(&repo, head).map_err(git("list tags"))?,
        describe: describe(&repo),
        dirty: is_dirty(&repo, &workdir, exclude).map_err(git("read the work tree status"))?,
        commit_time: commit.time().seconds(),
        shallow: repo.is_shallow(),
        source_url: remote_url(&repo).as_deref().and_then(source_url::web_url),
        workdir,
    })
}

fn disable_owner_check(dir: &Path) -> Result<(), HostError> {
    // SAFETY: sets a libgit2 global option; called before any repository
    // is opened and never concurrently with another libgit2 call (the
    // stamp opens one repository on one thread). Why it is safe to skip
    // the check for a read-only stamp: see the module docs.
    unsafe { git2::opts::set_verify_owner_validation(false) }.map_err(|source| HostError::Git {
        path: dir.to_path_buf(),
        operation: "disable the repository ownership check",
        source,
    })
}

fn tags_at(repo: &Repository, head: git2::Oid) -> Result<Vec<String>, git2::Error> {
    let mut tags = Vec::new();
    for reference in repo.references_glob("refs/tags/*")? {
        let reference = reference?;
        // A tag of a tree or blob points at no commit: not at HEAD.
        let at_head = reference.peel_to_commit().is_ok_and(|c| c.id() == head);
        if let (true, Ok(name)) = (at_head, reference.shorthand()) {
            tags.push(name.to_owned());
        }
    }
    tags.sort();
    Ok(tags)
}

/// `git describe --tags`, or `None` when no tag is reachable (including
/// in shallow clones that fetched no tags).
fn describe(repo: &Repository) -> Option<String> {
    let described = repo.describe(DescribeOptions::new().describe_tags()).ok()?;
    described
        .format(Some(DescribeFormatOptions::new().abbreviated_size(7)))
        .ok()
}

fn is_dirty(
    repo: &Repository,
    workdir: &Path,
    exclude: Option<&Path>,
) -> Result<bool, git2::Error> {
    let excluded = exclude.and_then(|path| relative_to(workdir, path));
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo.statuses(Some(&mut options))?;
    let dirty = statuses.iter().any(|entry| {
        let status = entry.status();
        !status.is_empty()
            && status != Status::IGNORED
            && excluded.as_deref() != Some(entry.path_bytes())
    });
    Ok(dirty)
}

/// `path` relative to the work tree, as the `/`-separated bytes git
/// status reports; `None` when it lies outside. The file may not exist
/// yet, so its directory is resolved instead of the file itself.
fn relative_to(workdir: &Path, path: &Path) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let absolute = parent.canonicalize().ok()?.join(name);
    let root = workdir.canonicalize().ok()?;
    let relative = absolute.strip_prefix(&root).ok()?;
    Some(relative.as_os_str().as_bytes().to_vec())
}

fn remote_url(repo: &Repository) -> Option<String> {
    let remote = match repo.find_remote("origin") {
        Ok(remote) => remote,
        Err(_) => {
            let names = repo.remotes().ok()?;
            let first = names.iter().find_map(|name| name.ok().flatten())?;
            repo.find_remote(first).ok()?
        }
    };
    remote.url().ok().map(str::to_owned)
}
