//! The one way Berth reads a file a user hands it (berth.yaml, compose files, `.env`): a regular
//! file only, at most [`MAX_INPUT_BYTES`], as UTF-8 text. A FIFO, a device (`/dev/zero`), a
//! socket or a directory is refused before a byte is read, so a read can neither block forever
//! nor grow until memory runs out.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest input file Berth reads: 16 MiB (a large berth.yaml is a few hundred KiB).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Why an input file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{} not found", .0.display())]
    NotFound(PathBuf),
    #[error("{} is {kind}, not a regular file: Berth reads its input from regular files only", .path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{} is larger than the input limit of 16 MiB ({size} bytes): split it, or remove what makes it this large", .path.display())]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{} is not valid UTF-8 text", .0.display())]
    NotUtf8(PathBuf),
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl InputError {
    /// The file is not there.
    pub fn is_not_found(&self) -> bool {
        matches!(self, InputError::NotFound(_))
    }
}

impl From<InputError> for std::io::Error {
    fn from(e: InputError) -> Self {
        match e {
            InputError::Io { source, .. } => source,
            InputError::NotFound(_) => {
                std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string())
            }
            _ => std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()),
        }
    }
}

/// The text of the regular file at `path`, refused when it is anything else or too large.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|_| InputError::NotUtf8(path.to_path_buf()))
}

/// The bytes of the regular file at `path` (see [`read_text`]).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, InputError> {
    let io = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => InputError::NotFound(path.to_path_buf()),
        _ => InputError::Io {
            path: path.to_path_buf(),
            source,
        },
    };
    let file = open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(InputError::NotRegular {
            path: path.to_path_buf(),
            kind: kind(&meta.file_type()),
        });
    }
    check_size(path, meta.len())?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // A file that grows while it is read stops at the limit too.
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    check_size(path, bytes.len() as u64)?;
    Ok(bytes)
}

/// Refuses a file that is not regular or over the limit, without reading it.
pub fn check(path: &Path) -> Result<(), InputError> {
    read_meta(path).map(|_| ())
}

fn read_meta(path: &Path) -> Result<std::fs::Metadata, InputError> {
    let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => InputError::NotFound(path.to_path_buf()),
        _ => InputError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    if !meta.is_file() {
        return Err(InputError::NotRegular {
            path: path.to_path_buf(),
            kind: kind(&meta.file_type()),
        });
    }
    check_size(path, meta.len())?;
    Ok(meta)
}

fn check_size(path: &Path, size: u64) -> Result<(), InputError> {
    if size > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    Ok(())
}

/// Opens without blocking: opening a FIFO with no writer would wait forever.
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    opts.open(path)
}

/// What a file that is not regular is, in words.
fn kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("berth.yaml");
        std::fs::write(&f, "name: x\n").unwrap();
        assert_eq!(read_text(&f).unwrap(), "name: x\n");
        assert!(check(&f).is_ok());
    }

    #[test]
    fn refuses_devices_directories_and_fifos_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("is a device"), "{e}");
        let e = read_text(dir.path()).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // No writer: a blocking open would never return.
        let e = read_text(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = check(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
    }

    #[test]
    fn refuses_a_file_over_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big.yaml");
        let file = std::fs::File::create(&f).unwrap();
        file.set_len(MAX_INPUT_BYTES + 1).unwrap();
        let e = read_text(&f).unwrap_err();
        assert!(e.to_string().contains("input limit of 16 MiB"), "{e}");
        assert!(matches!(check(&f), Err(InputError::TooLarge { .. })));
        file.set_len(MAX_INPUT_BYTES).unwrap();
        assert!(check(&f).is_ok());
    }

    #[test]
    fn missing_and_binary_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_text(&dir.path().join("nope"))
            .unwrap_err()
            .is_not_found());
        let f = dir.path().join("bin");
        std::fs::write(&f, [0xff, 0xfe]).unwrap();
        assert!(matches!(read_text(&f), Err(InputError::NotUtf8(_))));
    }
}
