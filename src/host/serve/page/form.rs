//! A form post's body: `application/x-www-form-urlencoded`, read within
//! the server's body limit and deadline (the same reader as every other
//! request body), and its fields by name.

use crate::host::serve::State;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;

/// The decoded fields, in the order sent.
#[derive(Debug, Default)]
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    pub fn parse(bytes: &[u8]) -> Form {
        Form {
            fields: url::form_urlencoded::parse(bytes).into_owned().collect(),
        }
    }

    /// The first value of `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads and decodes the body (413 past the limit, 408 past the
/// deadline, as for every body).
pub async fn read(state: &State, headers: &HeaderMap, body: Body) -> Result<Form, Response> {
    let bytes = crate::host::serve::http::read_body(headers, body, state.config.body_limit).await?;
    Ok(Form::parse(&bytes))
}

#[cfg(test)]
mod tests {
    use super::Form;

    #[test]
    fn repeated_fields_are_all_kept_and_decoded() {
        let f = Form::parse(b"csrf=a%2Bb&target=e%2F1&target=e%2F2&action=validate");
        assert_eq!(f.first("csrf"), Some("a+b"));
        assert_eq!(f.all("target").collect::<Vec<_>>(), ["e/1", "e/2"]);
        assert_eq!(f.first("none"), None);
    }
}
