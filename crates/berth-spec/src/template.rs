//! `${dep.field}` and `${secrets.NAME}` references inside env values and external URLs.

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
pub const FIELDS: &[&str] = &["url", "host", "port", "user", "password", "db"];

/// Split a template into pieces. `$${` is an escaped literal `${`. Errors give the byte offset of
/// the bad reference and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Piece>, (usize, String)> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(i) = rest.find('$') {
        lit.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(tail) = after.strip_prefix("$${") {
            lit.push_str("${");
            rest = tail;
            offset += i + 3;
            continue;
        }
        if !after.starts_with("${") {
            lit.push('$');
            rest = &after[1..];
            offset += i + 1;
            continue;
        }
        let Some(end) = after.find('}') else {
            return Err((offset + i, "unterminated `${`: add the closing `}`".into()));
        };
        let inner = after[2..end].trim();
        let piece = match inner.split_once('.') {
            Some(("secrets", name)) if !name.is_empty() => Piece::Secret(name.to_string()),
            Some((dep, field)) if !dep.is_empty() && !field.is_empty() => Piece::Ref {
                dep: dep.to_string(),
                field: field.to_string(),
            },
            _ => {
                return Err((
                    offset + i,
                    format!("`${{{inner}}}` is not a reference: write `${{dependency.field}}` or `${{secrets.NAME}}` (use `$${{` for a literal `${{`)"),
                ))
            }
        };
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        out.push(piece);
        rest = &after[end + 1..];
        offset += i + end + 1;
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
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
}
