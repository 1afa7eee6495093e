//! Container ports: a number (TCP) or `NUMBER/udp`, parsed once. Written back as written: a
//! TCP port as a plain integer, a UDP one as `53/udp`.

use crate::decode::{wrong_type, Decode};
use crate::diag::Diagnostic;
use crate::node::{Node, Value};

/// The transport protocol of a port.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
}

impl Protocol {
    pub fn is_tcp(&self) -> bool {
        *self == Protocol::Tcp
    }

    /// As Kubernetes writes it: `TCP`, `UDP`.
    pub fn kube(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

/// A container port and its protocol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Port {
    pub number: u16,
    pub protocol: Protocol,
}

impl Port {
    pub fn tcp(number: u16) -> Self {
        Port {
            number,
            protocol: Protocol::Tcp,
        }
    }

    /// `8080`, `8080/tcp` or `53/udp`.
    pub fn parse(text: &str) -> Option<Self> {
        let (number, protocol) = match text.split_once('/') {
            Some((n, "tcp")) => (n, Protocol::Tcp),
            Some((n, "udp")) => (n, Protocol::Udp),
            Some(_) => return None,
            None => (text, Protocol::Tcp),
        };
        let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        let number = number.parse().ok().filter(|_| digits)?;
        Some(Port { number, protocol })
    }
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.protocol {
            Protocol::Tcp => write!(f, "{}", self.number),
            Protocol::Udp => write!(f, "{}/udp", self.number),
        }
    }
}

impl Decode for Port {
    fn expected() -> &'static str {
        "a port number (1-65535) or `NUMBER/udp`"
    }
    fn decode(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Self> {
        match &node.value {
            Value::Int(_) => u16::decode(node, what, diags).map(Port::tcp),
            Value::Str(s) => {
                let port = Port::parse(s);
                if port.is_none() {
                    diags.push(
                        Diagnostic::error(
                            "B0202",
                            node.span,
                            format!("{what} is not a port: `{s}`"),
                        )
                        .help("write a number such as `8080`, or `53/udp` for a UDP port"),
                    );
                }
                port
            }
            _ => {
                diags.push(wrong_type(node, what, Self::expected()));
                None
            }
        }
    }
}

impl serde::Serialize for Port {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.protocol {
            Protocol::Tcp => s.serialize_u16(self.number),
            Protocol::Udp => s.collect_str(self),
        }
    }
}

impl schemars::JsonSchema for Port {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Port".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                { "type": "integer", "minimum": 0, "maximum": 65535 },
                { "type": "string", "pattern": "^[0-9]{1,5}(/(tcp|udp))?$" }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_number_and_protocol() {
        assert_eq!(Port::parse("8080"), Some(Port::tcp(8080)));
        assert_eq!(Port::parse("8080/tcp"), Some(Port::tcp(8080)));
        let dns = Port::parse("53/udp").unwrap();
        assert_eq!((dns.number, dns.protocol), (53, Protocol::Udp));
        assert_eq!(dns.to_string(), "53/udp");
        for bad in ["", "53/sctp", "x", "70000", "+53", "53/"] {
            assert_eq!(Port::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn serializes_as_written() {
        assert_eq!(serde_json::to_value(Port::tcp(80)).unwrap(), 80);
        let udp = Port::parse("53/udp").unwrap();
        assert_eq!(serde_json::to_value(udp).unwrap(), "53/udp");
    }
}
