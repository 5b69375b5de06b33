//! Cutting a stream of output chunks into lines for streaming, bounded:
//! a chunk may end mid-line, and a line longer than [`MAX_LINE`] is
//! handed on in pieces rather than held without limit.

/// The longest piece of one line held before it is handed on.
pub const MAX_LINE: usize = 16 * 1024;

#[derive(Debug, Default)]
pub struct Lines {
    partial: Vec<u8>,
}

impl Lines {
    /// Feeds `chunk`, calling `emit` with every complete line (without
    /// its `\n`, and without a `\r` before it).
    pub fn feed(&mut self, chunk: &[u8], emit: &mut dyn FnMut(&[u8])) {
        for piece in chunk.split_inclusive(|b| *b == b'\n') {
            let ends = piece.last() == Some(&b'\n');
            let body = if ends {
                &piece[..piece.len() - 1]
            } else {
                piece
            };
            let mut body = body;
            while self.partial.len() + body.len() > MAX_LINE {
                let room = MAX_LINE - self.partial.len();
                self.partial.extend_from_slice(&body[..room]);
                emit(&self.partial);
                self.partial.clear();
                body = &body[room..];
            }
            self.partial.extend_from_slice(body);
            if ends {
                let line = self.partial.strip_suffix(b"\r").unwrap_or(&self.partial);
                emit(line);
                self.partial.clear();
            }
        }
    }

    /// Hands on what is left after the stream's end: a last line
    /// without a newline.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&[u8])) {
        if !self.partial.is_empty() {
            emit(&self.partial);
            self.partial.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut lines = Lines::default();
        let mut out = Vec::new();
        for chunk in chunks {
            lines.feed(chunk, &mut |l| out.push(l.to_vec()));
        }
        lines.finish(&mut |l| out.push(l.to_vec()));
        out
    }

    #[test]
    fn lines_split_across_chunks_are_joined() {
        assert_eq!(
            collect(&[b"one\ntw", b"o\r\nthr", b"ee"]),
            vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
        );
        assert_eq!(collect(&[b"\n\n"]), vec![Vec::<u8>::new(), Vec::new()]);
    }

    #[test]
    fn a_line_past_the_bound_arrives_in_pieces() {
        let long = vec![b'x'; MAX_LINE * 2 + 5];
        let out = collect(&[&long, b"\n"]);
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|l| l.len() <= MAX_LINE));
        assert_eq!(out.iter().map(Vec::len).sum::<usize>(), long.len());
    }
}
