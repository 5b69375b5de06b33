//! User names from `/etc/passwd`, read directly.
//!
//! The `container` binary is static, and glibc's `getpwuid` would load NSS
//! modules at run time, so this reads the file itself. It deliberately
//! knows nothing of LDAP, `nsswitch.conf` or other user databases: inside
//! a container `/etc/passwd` is the database. A missing file or an
//! unknown uid is simply "no name".

use std::fs;
use std::io::Read;
use std::path::Path;

/// The system user database.
pub const PASSWD: &str = "/etc/passwd";

/// Larger files are not read: a name is only decoration.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// The name of `uid` in `/etc/passwd`, if it has one.
pub fn user_name(uid: u32) -> Option<String> {
    user_name_in(Path::new(PASSWD), uid)
}

/// The name of `uid` in the passwd-format file at `path`.
pub fn user_name_in(path: &Path, uid: u32) -> Option<String> {
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(MAX_BYTES).read_to_end(&mut bytes))
        .ok()?;
    String::from_utf8_lossy(&bytes)
        .lines()
        .find_map(|line| name_if_uid(line, uid))
}

/// `name:password:uid:gid:gecos:home:shell` → `name` when uid matches.
fn name_if_uid(line: &str, uid: u32) -> Option<String> {
    let mut fields = line.split(':');
    let name = fields.next()?;
    let _password = fields.next()?;
    let line_uid: u32 = fields.next()?.parse().ok()?;
    (line_uid == uid && !name.is_empty() && !name.starts_with('#')).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passwd(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn finds_the_name_of_a_uid() {
        let file = passwd(
            "root:x:0:0:root:/root:/bin/sh\n\
             # a comment:x:5:5\n\
             \n\
             broken line\n\
             www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n",
        );
        assert_eq!(user_name_in(file.path(), 0).as_deref(), Some("root"));
        assert_eq!(user_name_in(file.path(), 33).as_deref(), Some("www-data"));
    }

    #[test]
    fn unknown_uid_comment_and_bad_lines_give_none() {
        let file = passwd("# x:x:5:5\nbad:x:notanumber:0\n:x:7:7\n");
        assert_eq!(user_name_in(file.path(), 5), None);
        assert_eq!(user_name_in(file.path(), 7), None);
        assert_eq!(user_name_in(file.path(), 1000), None);
    }

    #[test]
    fn first_entry_wins() {
        let file = passwd("toor:x:0:0::/:/bin/sh\nroot:x:0:0::/root:/bin/sh\n");
        assert_eq!(user_name_in(file.path(), 0).as_deref(), Some("toor"));
    }

    #[test]
    fn missing_file_gives_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(user_name_in(&dir.path().join("passwd"), 0), None);
    }
}
