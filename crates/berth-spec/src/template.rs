//! `${dep.field}` and `${secrets.NAME}` references inside env values and external URLs: one
//! scanner ([`scan`]) that checks (with positions) and resolution ([`parse`], into pieces) share.

/// One piece of a template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    /// `${dep.field}`: a wiring value of a dependency.
    Ref {
        dep: String,
        field: String,
    },
    /// `${secrets.NAME}`: a declared secret.
    Secret(String),
}

/// Fields a reference may name.
pub const FIELDS: &[&str] = &[
    "url",
    "host",
    "port",
    "user",
    "password",
    "db",
    "read_url",
    "cluster",
    "bucket",
    "cdn_url",
    "endpoint",
    "region",
    "access_key_id",
    "secret_access_key",
    "queue_url",
    "dlq_url",
    "topic_arn",
];

/// One `${...}` found in a string: char offset and length of the whole `${...}` (for spans), its
/// byte range, and its parts `(target, field)` (None when malformed or unterminated).
#[derive(Debug, PartialEq)]
pub struct Ref<'s> {
    pub start: usize,
    pub len: usize,
    pub bytes: std::ops::Range<usize>,
    pub parts: Option<(&'s str, &'s str)>,
}

/// Every `${...}` in `s`; `$${` is an escaped literal `${`. Target and field are letters, digits,
/// `-` and `_`.
pub fn scan(s: &str) -> Vec<Ref<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"$${") {
            i += 3;
        } else if b[i..].starts_with(b"${") {
            let start = s[..i].chars().count();
            match b[i + 2..].iter().position(|&c| c == b'}') {
                None => {
                    out.push(Ref {
                        start,
                        len: s[i..].chars().count(),
                        bytes: i..s.len(),
                        parts: None,
                    });
                    break;
                }
                Some(rel) => {
                    let end = i + 2 + rel;
                    let inner = &s[i + 2..end];
                    let parts = inner.split_once('.').filter(|(t, f)| {
                        !t.is_empty()
                            && !f.is_empty()
                            && t.bytes()
                                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
                            && f.bytes()
                                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
                    });
                    out.push(Ref {
                        start,
                        len: s[i..=end].chars().count(),
                        bytes: i..end + 1,
                        parts,
                    });
                    i = end + 1;
                }
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Split a template into pieces. `$${` is an escaped literal `${`. Errors give the byte offset of
/// the bad reference and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Piece>, (usize, String)> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut at = 0;
    for r in scan(text) {
        lit.push_str(&text[at..r.bytes.start].replace("$${", "${"));
        let piece = match r.parts {
            Some(("secrets", name)) => Piece::Secret(name.to_string()),
            Some((dep, field)) => Piece::Ref {
                dep: dep.to_string(),
                field: field.to_string(),
            },
            None => return Err((r.bytes.start, malformed(&text[r.bytes]))),
        };
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        out.push(piece);
        at = r.bytes.end;
    }
    lit.push_str(&text[at..].replace("$${", "${"));
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

fn malformed(reference: &str) -> String {
    if !reference.ends_with('}') {
        return "unterminated `${`: add the closing `}`".into();
    }
    format!("`{reference}` is not a reference: write `${{dependency.field}}` or `${{secrets.NAME}}` (use `$${{` for a literal `${{`)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_refs_secrets_and_escapes() {
        let p = parse("a ${mongo.url}/x $${lit} ${secrets.jwt} $HOME").unwrap();
        assert_eq!(
            p,
            vec![
                Piece::Lit("a ".into()),
                Piece::Ref {
                    dep: "mongo".into(),
                    field: "url".into()
                },
                Piece::Lit("/x ${lit} ".into()),
                Piece::Secret("jwt".into()),
                Piece::Lit(" $HOME".into()),
            ]
        );
        assert!(parse("${nodot}").is_err());
        assert_eq!(parse("x ${a.b").unwrap_err().0, 2);
    }

    #[test]
    fn scanning() {
        let r = scan("a${db.url}b$${x}${bad}${open");
        assert_eq!(
            r,
            vec![
                Ref {
                    start: 1,
                    len: 9,
                    bytes: 1..10,
                    parts: Some(("db", "url"))
                },
                Ref {
                    start: 16,
                    len: 6,
                    bytes: 16..22,
                    parts: None
                },
                Ref {
                    start: 22,
                    len: 6,
                    bytes: 22..28,
                    parts: None
                },
            ]
        );
        assert!(scan("é${a.b}")[0].start == 1);
    }
}

/// The one rule for `$` between compose and Berth. Compose text writes a literal `$` as `$$`
/// (anything else after `$` is interpolation, already done by the time Berth reads it); a
/// spec's text is literal except its `${...}` references, where `$${` is a literal `${`.
pub mod dollar {
    /// Literal text as compose text: `$` → `$$` (what render writes).
    pub fn to_compose(literal: &str) -> String {
        literal.replace('$', "$$")
    }

    /// Compose text (interpolated) as literal text: `$$` → `$`.
    pub fn from_compose(text: &str) -> String {
        text.replace("$$", "$")
    }

    /// Literal text as a spec value that is read as a template (environment values): a
    /// literal `${` becomes `$${`.
    pub fn to_template(literal: &str) -> String {
        literal.replace("${", "$${")
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn compose_text_and_literals_round_trip() {
            let compose = "cost $$5 and $$HOME, $${X}";
            let literal = from_compose(compose);
            assert_eq!(literal, "cost $5 and $HOME, ${X}");
            assert_eq!(to_compose(&literal), compose);
            assert_eq!(to_template(&literal), "cost $5 and $HOME, $${X}");
            assert_eq!(
                super::super::parse(&to_template(&literal)).map(|p| p.len()),
                Ok(1),
                "one literal piece, no reference"
            );
        }
    }
}
