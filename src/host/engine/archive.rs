//! Reading a directory of a container, running or not, through the
//! engine's archive endpoint (`GET /containers/{id}/archive`), which needs
//! no process inside it.
//!
//! The tar stream is bounded as it arrives, then parsed with the `tar`
//! crate in memory: only regular files directly inside the directory are
//! returned, by their bare file name, so no entry can name a path outside
//! it; a file above the per-file bound or a stream above the total bound
//! is an error naming the limit. It does not write anything to disk and
//! does not interpret the files.

use super::deadline::within;
use super::error::{EngineError, ObjectKind};
use super::Engine;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::DownloadFromContainerOptions;
use futures_util::StreamExt;
use std::io::Read;
use std::path::Component;
use std::time::Duration;

/// The bounds of one directory read.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveLimits {
    /// Bytes of the whole tar stream.
    pub max_total: u64,
    /// Bytes of any one file.
    pub max_file: u64,
    pub deadline: Duration,
}

/// One regular file of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedFile {
    /// The bare file name, no directory part.
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Engine {
    /// The regular files directly inside `dir` of `container`, sorted by
    /// name. A missing directory is [`EngineError::NoSuchPath`].
    pub async fn read_directory(
        &self,
        container: &str,
        dir: &str,
        limits: ArchiveLimits,
    ) -> Result<Vec<ArchivedFile>, EngineError> {
        let tar = within(
            limits.deadline,
            &self.name,
            "read an archive of",
            ObjectKind::Container,
            container,
            self.download(container, dir, limits.max_total),
        )
        .await?;
        let mut files =
            parse_directory(&tar, limits.max_file).map_err(|reason| EngineError::BadArchive {
                engine: self.name.clone(),
                container: container.to_owned(),
                path: dir.to_owned(),
                reason,
            })?;
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    async fn download(
        &self,
        container: &str,
        dir: &str,
        max_total: u64,
    ) -> Result<Vec<u8>, EngineError> {
        let options = DownloadFromContainerOptions {
            path: dir.to_owned(),
        };
        let mut stream = self
            .docker
            .download_from_container(container, Some(options));
        let mut tar = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| archive_error(e, &self.name, container, dir))?;
            if (tar.len() + chunk.len()) as u64 > max_total {
                return Err(EngineError::ArchiveTooLarge {
                    engine: self.name.clone(),
                    container: container.to_owned(),
                    path: dir.to_owned(),
                    limit: max_total,
                });
            }
            tar.extend_from_slice(&chunk);
        }
        Ok(tar)
    }
}

/// The archive endpoint answers 404 both for a missing container and for
/// a missing path; the engine's message tells them apart.
fn archive_error(error: BollardError, engine: &str, container: &str, dir: &str) -> EngineError {
    match &error {
        BollardError::DockerResponseServerError {
            status_code: 404,
            message,
        } if !message.to_ascii_lowercase().contains("no such container") => {
            EngineError::NoSuchPath {
                engine: engine.to_owned(),
                container: container.to_owned(),
                path: dir.to_owned(),
            }
        }
        _ => super::error::classify(
            error,
            engine,
            "read an archive of",
            ObjectKind::Container,
            container,
        ),
    }
}

/// The regular files one level below the archive's top directory.
fn parse_directory(tar: &[u8], max_file: u64) -> Result<Vec<ArchivedFile>, String> {
    let mut archive = tar::Archive::new(tar);
    let mut files = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar stream: {e}"))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("unreadable tar entry: {e}"))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| format!("tar entry with an unreadable name: {e}"))?
            .into_owned();
        let parts: Vec<Component<'_>> = path.components().collect();
        // `DIR/NAME`: anything deeper, absolute or with `..` is skipped.
        let name = match parts.as_slice() {
            [Component::Normal(_), Component::Normal(name)] => name.to_string_lossy().into_owned(),
            _ => continue,
        };
        let size = entry.size();
        if size > max_file {
            return Err(format!(
                "file `{name}` is {size} bytes, more than the limit of {max_file}"
            ));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        entry
            .take(max_file + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("failed to read `{name}` from the tar stream: {e}"))?;
        files.push(ArchivedFile { name, bytes });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; write the raw name as a hostile
            // archive would.
            let name = header.as_old_mut().name.as_mut();
            name[..path.len()].copy_from_slice(path.as_bytes());
            header.set_cksum();
            builder
                .append(&header, *data)
                .expect("append to an in-memory tar");
        }
        builder.into_inner().expect("finish an in-memory tar")
    }

    #[test]
    fn only_files_directly_inside_the_directory_are_returned() {
        let tar = tar_of(&[
            ("metadata.d/10-a.json", b"{}"),
            ("metadata.d/sub/20-b.json", b"{}"),
            ("metadata.d/../../etc/passwd", b"root"),
            ("/etc/shadow", b"x"),
        ]);
        let files = parse_directory(&tar, 100).expect("parse");
        assert_eq!(
            files,
            vec![ArchivedFile {
                name: "10-a.json".into(),
                bytes: b"{}".to_vec()
            }]
        );
    }

    #[test]
    fn a_file_above_the_bound_is_refused_by_name() {
        let tar = tar_of(&[("metadata.d/10-a.json", b"0123456789")]);
        let error = parse_directory(&tar, 4).expect_err("too large");
        assert!(
            error.contains("10-a.json") && error.contains("limit of 4"),
            "{error}"
        );
    }
}
