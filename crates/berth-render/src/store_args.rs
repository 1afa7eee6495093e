//! A store's extra server arguments (`args`), where compose and Kubernetes put them: appended,
//! shell-quoted, to a command line Berth already runs through a shell (redis, a MongoDB
//! replica set), or as the image's command (`postgres …`, `mongod …`) otherwise.

use berth_spec::StoreType;

/// ` 'a' 'b'`: each argument single-quoted for `sh -c`, with a leading space (empty for none).
pub fn shell(args: &[String]) -> String {
    args.iter()
        .map(|a| format!(" '{}'", a.replace('\'', r"'\''")))
        .collect()
}

/// The server program the image's command starts, for the stores whose command Berth leaves
/// to the image.
pub fn server(kind: StoreType) -> Option<&'static str> {
    berth_spec::store::server_program(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_argument() {
        let args = ["--save".to_string(), "60 1".into(), "it's".into()];
        assert_eq!(shell(&args), r" '--save' '60 1' 'it'\''s'");
        assert_eq!(shell(&[]), "");
    }
}
