//! Downloading the public datasets, checked against their published SHA-256 checksums.
//!
//! ```no_run
//! use kindling_data::download::{download, RemoteDataset};
//! use kindling_data::{cache_dir, fashion_mnist, Split};
//!
//! let dir = download(RemoteDataset::FashionMnist, &cache_dir()?)?; // ~/.cache/kindling/fashion-mnist
//! let train = fashion_mnist(&dir, Split::Train)?;
//! # Ok::<(), kindling_data::DataError>(())
//! ```
//!
//! Files land in `<cache>/<dataset>/<file>`, the same layout as the `KINDLING_DATASETS` folder,
//! so a cache can serve as one. Each file is streamed into a temporary file in the same folder
//! while its SHA-256 is computed, and renamed into place only when the checksum matches; on a
//! mismatch or any failure the temporary file is removed, so the cache never holds a partial or
//! corrupted file under a real name. A file already present with the right checksum is not
//! downloaded again.

use crate::error::DataError;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// A file of a downloadable dataset with its published size and checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemoteFile {
    /// The file name (also its name in the cache).
    pub name: &'static str,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: &'static str,
}

/// The datasets [`download`] knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RemoteDataset {
    /// LeCun, Cortes and Burges' handwritten digits (4 IDX files, about 11.6 MB).
    Mnist,
    /// Zalando's clothing images in the MNIST format (4 IDX files, about 30.9 MB).
    FashionMnist,
    /// Karpathy's 1.1 MB Shakespeare corpus for character-level models.
    TinyShakespeare,
}

const MNIST_FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte.gz",
        size: 9_912_422,
        sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte.gz",
        size: 28_881,
        sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte.gz",
        size: 1_648_877,
        sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte.gz",
        size: 4_542,
        sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
];

const FASHION_MNIST_FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte.gz",
        size: 26_421_880,
        sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte.gz",
        size: 29_515,
        sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte.gz",
        size: 4_422_102,
        sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte.gz",
        size: 5_148,
        sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
];

const TINY_SHAKESPEARE_FILES: [RemoteFile; 1] = [RemoteFile {
    name: "input.txt",
    size: 1_115_394,
    sha256: "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
}];

impl RemoteDataset {
    /// Every downloadable dataset.
    pub const ALL: [RemoteDataset; 3] =
        [RemoteDataset::Mnist, RemoteDataset::FashionMnist, RemoteDataset::TinyShakespeare];

    /// The name used on the command line and as the cache subfolder.
    pub fn name(self) -> &'static str {
        match self {
            RemoteDataset::Mnist => "mnist",
            RemoteDataset::FashionMnist => "fashion-mnist",
            RemoteDataset::TinyShakespeare => "tinyshakespeare",
        }
    }

    /// The files, with sizes and SHA-256 checksums.
    pub fn files(self) -> &'static [RemoteFile] {
        match self {
            RemoteDataset::Mnist => &MNIST_FILES,
            RemoteDataset::FashionMnist => &FASHION_MNIST_FILES,
            RemoteDataset::TinyShakespeare => &TINY_SHAKESPEARE_FILES,
        }
    }

    /// The public address the files are fetched from (a file's URL is this plus its name).
    pub fn default_base_url(self) -> &'static str {
        match self {
            RemoteDataset::Mnist => "https://ossci-datasets.s3.amazonaws.com/mnist/",
            RemoteDataset::FashionMnist => "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            RemoteDataset::TinyShakespeare => {
                "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"
            }
        }
    }
}

impl std::fmt::Display for RemoteDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RemoteDataset {
    type Err = DataError;

    /// Accepts the names `mnist`, `fashion-mnist` and `tinyshakespeare` (case-insensitive,
    /// `_` for `-`, and `tiny-shakespeare` too).
    fn from_str(s: &str) -> Result<Self, DataError> {
        let key: String = s.to_ascii_lowercase().chars().filter(|c| *c != '-' && *c != '_').collect();
        match key.as_str() {
            "mnist" => Ok(RemoteDataset::Mnist),
            "fashionmnist" => Ok(RemoteDataset::FashionMnist),
            "tinyshakespeare" => Ok(RemoteDataset::TinyShakespeare),
            _ => Err(DataError::UnknownDataset { name: s.to_string() }),
        }
    }
}

/// The SHA-256 of a file, lowercase hex.
pub fn sha256_file(path: impl AsRef<Path>) -> Result<String, DataError> {
    let path = path.as_ref();
    let mut file = File::open(path).map_err(|e| DataError::io(path, "open", e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| DataError::io(path, "read", e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Removes a temporary file when dropped, unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A progress callback.
type Progress = Box<dyn Fn(&str) + Send + Sync>;

/// Downloads datasets into a cache folder; [`download`] is the one-call form.
pub struct Downloader {
    cache_dir: PathBuf,
    base_url: Option<String>,
    progress: Option<Progress>,
    timeout: Duration,
}

impl std::fmt::Debug for Downloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Downloader").field("cache_dir", &self.cache_dir).field("base_url", &self.base_url).finish()
    }
}

impl Downloader {
    /// A downloader writing into `cache_dir` (created if missing), fetching from the public
    /// addresses.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Downloader { cache_dir: cache_dir.into(), base_url: None, progress: None, timeout: Duration::from_secs(60) }
    }

    /// Fetch from a mirror instead: file `F` of dataset `D` is read from `<url>/<D>/<F>` (the
    /// `KINDLING_DATASETS` layout, so a copy of that folder served over HTTP is a mirror).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// A callback that receives one line per step ("downloading URL", "up to date: PATH").
    pub fn on_progress(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// How long to wait for a connection or for the next bytes (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn say(&self, message: &str) {
        if let Some(f) = &self.progress {
            f(message);
        }
    }

    /// The address of one file of `dataset`.
    pub fn url(&self, dataset: RemoteDataset, file: &RemoteFile) -> String {
        match &self.base_url {
            Some(base) => format!("{}/{}/{}", base.trim_end_matches('/'), dataset.name(), file.name),
            None => format!("{}{}", dataset.default_base_url(), file.name),
        }
    }

    /// Makes sure every file of `dataset` is in `<cache>/<dataset name>/` with its published
    /// checksum, downloading what is missing or corrupt, and returns that folder.
    pub fn fetch(&self, dataset: RemoteDataset) -> Result<PathBuf, DataError> {
        let dir = self.cache_dir.join(dataset.name());
        std::fs::create_dir_all(&dir).map_err(|e| DataError::io(&dir, "create", e))?;
        for file in dataset.files() {
            let dest = dir.join(file.name);
            if dest.is_file() {
                if sha256_file(&dest)? == file.sha256 {
                    self.say(&format!("up to date: {}", dest.display()));
                    continue;
                }
                self.say(&format!("checksum mismatch, downloading again: {}", dest.display()));
            }
            let url = self.url(dataset, file);
            self.say(&format!("downloading {url} ({} bytes)", file.size));
            self.fetch_file(&url, &dest, file.sha256)?;
            self.say(&format!("saved {}", dest.display()));
        }
        Ok(dir)
    }

    /// Downloads `url` to `dest` through a temporary file in the same folder, keeping it only
    /// if its SHA-256 is `sha256`.
    pub fn fetch_file(&self, url: &str, dest: &Path, sha256: &str) -> Result<(), DataError> {
        let dir = dest.parent().unwrap_or(Path::new("."));
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let temp = TempFile { path: dir.join(format!(".{name}.part-{}-{stamp}", std::process::id())), keep: false };

        let agent = ureq::AgentBuilder::new().timeout_connect(self.timeout).timeout_read(self.timeout).build();
        let response = agent.get(url).call().map_err(|e| DataError::Download {
            url: url.to_string(),
            message: match e {
                ureq::Error::Status(code, r) => format!("the server answered HTTP {code} {}", r.status_text()),
                other => other.to_string(),
            },
        })?;
        let mut reader = response.into_reader();
        let mut out = File::create(&temp.path).map_err(|e| DataError::io(&temp.path, "create", e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf).map_err(|e| DataError::Download {
                url: url.to_string(),
                message: format!("transfer interrupted: {e}"),
            })?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| DataError::io(&temp.path, "write", e))?;
        }
        out.sync_all().map_err(|e| DataError::io(&temp.path, "write", e))?;
        drop(out);
        let actual = format!("{:x}", hasher.finalize());
        if actual != sha256 {
            return Err(DataError::Checksum { path: dest.to_path_buf(), expected: sha256.to_string(), actual });
        }
        std::fs::rename(&temp.path, dest).map_err(|e| DataError::io(dest, "rename into", e))?;
        let mut temp = temp;
        temp.keep = true;
        Ok(())
    }
}

/// Downloads `dataset` into `cache_dir` (see the module docs) and returns its folder,
/// `<cache_dir>/<dataset name>`. Use [`crate::cache_dir`] for the default cache
/// (`KINDLING_CACHE` or `~/.cache/kindling`).
pub fn download(dataset: RemoteDataset, cache_dir: &Path) -> Result<PathBuf, DataError> {
    Downloader::new(cache_dir).fetch(dataset)
}
