//! The reproducible `bootstrap.zip`: one entry, fixed metadata, written atomically with its
//! SHA-256 beside it.

use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

use super::BuildError;

/// Size and hex SHA-256 of a written zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ZipDigest {
    pub(crate) size: u64,
    pub(crate) sha256: String,
}

/// Zip `binary` as the single entry `bootstrap` into `dest`, and write `<dest>.sha256`.
///
/// Everything that could vary between builds is pinned: the entry's time (1980-01-01, the zip
/// epoch, instead of "now"), its mode (0755), the creating system (Unix) and the compression
/// (Deflate, level 9). Same binary in, same bytes out.
pub(crate) fn write_bootstrap_zip(binary: &Path, dest: &Path) -> Result<ZipDigest, BuildError> {
    let io_error = |action, path: &Path| {
        let path = path.to_owned();
        move |source| BuildError::Io {
            action,
            path,
            source,
        }
    };
    let executable = fs::read(binary).map_err(io_error("read", binary))?;
    let bytes = zip_bytes(&executable).map_err(|source| BuildError::Zip {
        path: dest.to_owned(),
        source,
    })?;
    let sha256 = super::sha256_hex(&bytes);

    let dir = dest.parent().expect("the zip path has a directory");
    fs::create_dir_all(dir).map_err(io_error("create", dir))?;
    write_atomically(dest, &bytes).map_err(io_error("write", dest))?;
    let file_name = dest.file_name().expect("the zip path has a file name");
    let checksum_line = format!("{sha256}  {}\n", file_name.to_string_lossy());
    let checksum_path = dest.with_file_name(format!("{}.sha256", file_name.to_string_lossy()));
    write_atomically(&checksum_path, checksum_line.as_bytes())
        .map_err(io_error("write", &checksum_path))?;

    Ok(ZipDigest {
        size: bytes.len() as u64,
        sha256,
    })
}

fn zip_bytes(executable: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o755)
        .system(System::Unix);
    let mut writer = ZipWriter::new(Cursor::new(Vec::with_capacity(executable.len() / 2)));
    writer.start_file("bootstrap", options)?;
    writer.write_all(executable)?;
    Ok(writer.finish()?.into_inner())
}

/// A reader never sees a half-written file: write a temporary file beside `path`, then rename.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("the path has a directory");
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    // Temporary files are created 0600; artifacts are ordinary readable files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn same_binary_gives_the_same_zip() {
        let executable = b"\x7fELF pretend binary".repeat(1000);
        assert_eq!(
            zip_bytes(&executable).unwrap(),
            zip_bytes(&executable).unwrap()
        );
    }

    #[test]
    fn zip_holds_one_executable_bootstrap_from_1980() {
        let executable = b"\x7fELF pretend binary".repeat(1000);
        let bytes = zip_bytes(&executable).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 1);
        let mut entry = archive.by_index(0).unwrap();
        assert_eq!(&*entry.name().unwrap(), "bootstrap");
        assert_eq!(entry.unix_mode().unwrap() & 0o777, 0o755);
        assert_eq!(entry.compression(), CompressionMethod::Deflated);
        assert_eq!(entry.last_modified(), Some(DateTime::default()));
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        assert_eq!(content, executable);
    }

    #[test]
    fn writes_zip_and_sha256sum_line() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("put-item");
        fs::write(&binary, b"binary").unwrap();
        let dest = dir.path().join("lambda/arm64/put-item/bootstrap.zip");
        let digest = write_bootstrap_zip(&binary, &dest).unwrap();
        let bytes = fs::read(&dest).unwrap();
        assert_eq!(digest.size, bytes.len() as u64);
        assert_eq!(digest.sha256, crate::artifacts::sha256_hex(&bytes));
        assert_eq!(
            fs::read_to_string(dest.with_file_name("bootstrap.zip.sha256")).unwrap(),
            format!("{}  bootstrap.zip\n", digest.sha256)
        );
    }
}
