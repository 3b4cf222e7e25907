//! The ids file: one accepted order per line, `<orderid>\t<sent_at_ms>`, for `demo verify`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::load::error::LoadError;
use crate::load::stats::Accepted;

/// An order to look for, and when the client sent it (when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expected {
    pub(crate) orderid: String,
    pub(crate) sent_at_ms: Option<i64>,
}

const HEADER: &str = "# orderid\tsent_at_ms (accepted orders, written by `demo load --ids`)\n";

/// Creates (truncates) the file up front, so an unwritable path fails before anything is sent.
pub(crate) fn create(path: &Path) -> Result<std::fs::File, LoadError> {
    std::fs::File::create(path).map_err(|source| io("create", path, source))
}

pub(crate) fn write(
    file: std::fs::File,
    path: &Path,
    accepted: &[Accepted],
) -> Result<(), LoadError> {
    let mut out = BufWriter::new(file);
    let result = out.write_all(HEADER.as_bytes()).and_then(|()| {
        for order in accepted {
            writeln!(out, "{}\t{}", order.orderid, order.sent_at_ms)?;
        }
        out.flush()
    });
    result.map_err(|source| io("write", path, source))
}

/// Reads an ids file; a bare id per line (no send time) is accepted too.
pub(crate) fn read(path: &Path) -> Result<Vec<Expected>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| io("read", path, source))?;
    parse(&text).map_err(|(line, reason)| LoadError::BadIdsFile {
        path: path.to_owned(),
        line,
        reason,
    })
}

fn parse(text: &str) -> Result<Vec<Expected>, (usize, String)> {
    let mut expected = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let orderid = fields.next().unwrap_or_default().to_owned();
        let sent_at_ms = match fields.next() {
            None => None,
            Some(field) => Some(field.parse::<i64>().map_err(|_| {
                (
                    number + 1,
                    format!("the send time {field:?} is not a whole number of milliseconds"),
                )
            })?),
        };
        if fields.next().is_some() {
            return Err((
                number + 1,
                "expected `<orderid>` or `<orderid> <sent_at_ms>`".into(),
            ));
        }
        expected.push(Expected {
            orderid,
            sent_at_ms,
        });
    }
    Ok(expected)
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> LoadError {
    LoadError::Io {
        action,
        path: PathBuf::from(path),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.tsv");
        let accepted = vec![
            Accepted {
                index: 0,
                orderid: "o-1".into(),
                sent_at_ms: 10,
            },
            Accepted {
                index: 1,
                orderid: "o-2".into(),
                sent_at_ms: 20,
            },
        ];
        write(create(&path).unwrap(), &path, &accepted).unwrap();
        let read_back = read(&path).unwrap();
        assert_eq!(
            read_back,
            vec![
                Expected {
                    orderid: "o-1".into(),
                    sent_at_ms: Some(10)
                },
                Expected {
                    orderid: "o-2".into(),
                    sent_at_ms: Some(20)
                },
            ]
        );
    }

    #[test]
    fn bare_ids_are_fine_and_garbage_names_the_line() {
        let parsed = parse("\n# comment\nabc\n").unwrap();
        assert_eq!(
            parsed,
            vec![Expected {
                orderid: "abc".into(),
                sent_at_ms: None
            }]
        );
        assert_eq!(parse("a 1\nb x\n").unwrap_err().0, 2);
        assert_eq!(parse("a 1 2\n").unwrap_err().0, 1);
    }
}
