//! The remote-URL sanitiser, `source_url::web_url` and
//! `without_credentials`, on arbitrary text: a git remote or a CI build
//! URL, which may carry a token, going into a record anyone may read.
//!
//! Neither may panic. When the input parses as a URL with a password (or
//! a user name: tokens are often passed as one), that secret appears in
//! neither output, as written or percent-decoded, unless the outputs for
//! the same URL without its user information hold it too (the host or
//! the path also spell it): only then can it be there for another reason.

#![no_main]

use libfuzzer_sys::fuzz_target;
use url::Url;
use waybill::host::stamp::source_url::{web_url, without_credentials};

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let web = web_url(text);
    let clean = without_credentials(text);

    // The secret check needs one reading of where the user information
    // is. Text with `scheme://` and no control characters reads the same
    // to the url crate and to git; other text (`http:a@b:c@d/…`, text the
    // url crate silently strips tabs and newlines from) has several
    // readings, and the url crate's is not the one to hold the sanitiser
    // to. Those forms are in the unit tests' table of remotes instead.
    let unambiguous = text
        .split_once("://")
        .is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains(':'))
        && !text.chars().any(char::is_control);
    if !unambiguous {
        return;
    }
    let Ok(url) = Url::parse(text) else {
        return;
    };
    let secrets: Vec<&str> = [url.password().unwrap_or(""), url.username()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if secrets.is_empty() {
        return;
    }
    // What the outputs may hold: the same, for the URL without its user
    // information.
    let mut bare = url.clone();
    let _ = bare.set_username("");
    let _ = bare.set_password(None);
    let bare = bare.to_string();
    let legitimate = format!(
        "{bare}\n{}\n{}",
        web_url(&bare).unwrap_or_default(),
        without_credentials(&bare).unwrap_or_default()
    );
    // The scheme an output starts with is the sanitiser's own (an
    // scp-like remote becomes `https://`), not text kept from the input:
    // a user name that happens to read `https` is not found in it.
    let past_scheme = |out: &str| -> String {
        out.split_once("://")
            .map_or(out, |(_, rest)| rest)
            .to_string()
    };
    let clean = clean.as_deref().map(past_scheme);
    let web = web.as_deref().map(past_scheme);
    for secret in secrets {
        for secret in [secret.to_string(), percent_decode(secret)] {
            if legitimate.contains(&secret) {
                continue;
            }
            if let Some(clean) = &clean {
                assert!(
                    !clean.contains(&secret),
                    "without_credentials({text:?}) kept the secret {secret:?}: {clean:?}"
                );
            }
            if let Some(web) = &web {
                assert!(
                    !web.contains(&secret),
                    "web_url({text:?}) kept the secret {secret:?}: {web:?}"
                );
            }
        }
    }
});

/// `%XX` escapes decoded, as the user typed the secret.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
