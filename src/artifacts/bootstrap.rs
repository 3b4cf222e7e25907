//! What is inside a function's zip: its `bootstrap` entry (what `provided.al2023` runs) and the
//! CPU that executable is built for, read from its ELF header. Used to refuse a prebuilt zip
//! for the other architecture before it is deployed, and by the offline runner to run one.

use std::io::{Cursor, Read};

use super::Arch;

/// Why a zip holds no `bootstrap` to run (the words follow the zip's name).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ZipProblem {
    #[error("is not a zip ({0})")]
    NotAZip(zip::result::ZipError),
    #[error("has no `bootstrap` entry, which provided.al2023 runs")]
    NoBootstrap,
    #[error("holds a bootstrap that could not be unpacked ({0})")]
    Unreadable(std::io::Error),
}

/// Why an executable is not one Lambda runs (the words follow the file's name).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ElfProblem {
    #[error("is not a Linux executable ({len} bytes, no ELF header)")]
    NotElf { len: usize },
    #[error("is built for ELF machine {machine:#x}, neither arm64 nor x86_64")]
    OtherMachine { machine: u16 },
}

/// ELF `e_machine` of an arm64 (AArch64) executable.
pub(crate) const EM_AARCH64: u16 = 0xB7;
/// ELF `e_machine` of an x86_64 executable.
pub(crate) const EM_X86_64: u16 = 0x3E;

/// The zip's `bootstrap` entry.
pub(crate) fn unzip(zip: &[u8]) -> Result<Vec<u8>, ZipProblem> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).map_err(ZipProblem::NotAZip)?;
    let mut entry = archive
        .by_name("bootstrap")
        .map_err(|_| ZipProblem::NoBootstrap)?;
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .map_err(ZipProblem::Unreadable)?;
    Ok(bytes)
}

/// The architecture an ELF executable is built for (its header's `e_machine`).
pub(crate) fn elf_arch(bytes: &[u8]) -> Result<Arch, ElfProblem> {
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
        return Err(ElfProblem::NotElf { len: bytes.len() });
    }
    match u16::from_le_bytes([bytes[18], bytes[19]]) {
        EM_AARCH64 => Ok(Arch::Arm64),
        EM_X86_64 => Ok(Arch::X86_64),
        machine => Err(ElfProblem::OtherMachine { machine }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;

    /// The first 64 bytes of an ELF executable for `machine`.
    pub(crate) fn elf(machine: u16) -> Vec<u8> {
        let mut bytes = b"\x7fELF".to_vec();
        bytes.resize(18, 0);
        bytes.extend_from_slice(&machine.to_le_bytes());
        bytes.resize(64, 0);
        bytes
    }

    /// A zip holding `bootstrap` with `bytes`.
    pub(crate) fn zip_of(entry: &str, bytes: &[u8]) -> Vec<u8> {
        let mut buffer = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buffer);
        zip.start_file(entry, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
        zip.finish().unwrap();
        buffer.into_inner()
    }

    #[test]
    fn the_architecture_is_read_from_the_elf_header() {
        assert_eq!(elf_arch(&elf(EM_AARCH64)), Ok(Arch::Arm64));
        assert_eq!(elf_arch(&elf(EM_X86_64)), Ok(Arch::X86_64));
        let arm32 = elf_arch(&elf(0x28)).unwrap_err().to_string();
        assert!(arm32.contains("0x28"), "{arm32}");
        let fake = elf_arch(b"put-record v1").unwrap_err().to_string();
        assert!(fake.contains("not a Linux executable (13 bytes"), "{fake}");
    }

    #[test]
    fn a_zip_without_bootstrap_is_named_as_such() {
        let detail = unzip(&zip_of("handler", b"x")).unwrap_err().to_string();
        assert!(detail.contains("no `bootstrap` entry"), "{detail}");
        let not_zip = unzip(b"not a zip").unwrap_err().to_string();
        assert!(not_zip.starts_with("is not a zip"), "{not_zip}");
        assert_eq!(unzip(&zip_of("bootstrap", b"x")).unwrap(), b"x");
    }
}
