//! `wxudp lan --pcap DIR`: every Ethernet frame of each network into `DIR/NETWORK.pcap`.
//!
//! One AF_PACKET socket in the LAN's namespace sees the frames of every bridge port. A
//! frame that a host sends enters its bridge once, through that host's port, so each
//! frame is kept as it comes in on a port (not as the bridge sends it out of the others),
//! and written to the file of the port's network (which changes when a host moves).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crate::pcap::{PcapWriter, LINKTYPE_ETHERNET};
use nix::sched::{setns, CloneFlags};
use nix::sys::socket::{
    recvfrom, setsockopt, socket, sockopt, AddressFamily, LinkAddr, SockFlag, SockProtocol,
    SockType,
};
use nix::sys::time::TimeVal;

use crate::control::Ports;

/// PACKET_OUTGOING: a frame the interface sends.
const PACKET_OUTGOING: u8 = 4;

pub struct Capture {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<(), String>>,
}

impl Capture {
    /// Starts capturing in the namespace at `lan_ns` into `dir` (made if missing), one
    /// file per network.
    pub fn start(
        lan_ns: &Path,
        dir: &Path,
        networks: &[String],
        ports: Arc<Mutex<Ports>>,
    ) -> Result<Capture, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        let mut files = Vec::new();
        for name in networks {
            let path = dir.join(format!("{name}.pcap"));
            let file =
                File::create(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let writer = PcapWriter::with_link_type(BufWriter::new(file), LINKTYPE_ETHERNET)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            files.push(writer);
        }
        let ns =
            File::open(lan_ns).map_err(|e| format!("cannot open {}: {e}", lan_ns.display()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let setup = || -> Result<_, String> {
                setns(&ns, CloneFlags::CLONE_NEWNET).map_err(|e| format!("setns: {e}"))?;
                let fd = socket(
                    AddressFamily::Packet,
                    SockType::Raw,
                    SockFlag::SOCK_CLOEXEC,
                    SockProtocol::EthAll,
                )
                .map_err(|e| format!("cannot open a packet socket: {e}"))?;
                setsockopt(&fd, sockopt::ReceiveTimeout, &TimeVal::new(0, 200_000))
                    .map_err(|e| format!("SO_RCVTIMEO: {e}"))?;
                Ok(fd)
            };
            let fd = match setup() {
                Ok(fd) => {
                    let _ = ready_tx.send(Ok(()));
                    fd
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.clone()));
                    return Err(e);
                }
            };
            capture(fd.as_raw_fd(), &flag, &mut files, &ports)
        });
        match ready_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => Ok(Capture { stop, thread }),
            Ok(Err(e)) => Err(format!("cannot capture: {e}")),
            Err(_) => Err("cannot capture: the capture thread did not start".into()),
        }
    }

    /// Stops, and writes what is buffered.
    pub fn finish(self) -> Result<(), String> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .join()
            .map_err(|_| "the capture thread panicked".to_owned())?
    }
}

fn capture(
    fd: i32,
    stop: &AtomicBool,
    files: &mut [PcapWriter<BufWriter<File>>],
    ports: &Mutex<Ports>,
) -> Result<(), String> {
    let mut buf = vec![0u8; 65_600];
    let mut version = u64::MAX;
    let mut network_of: BTreeMap<usize, usize> = BTreeMap::new();
    while !stop.load(Ordering::SeqCst) {
        let (n, from) = match recvfrom::<LinkAddr>(fd, &mut buf) {
            Ok(got) => got,
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(format!("capture: {e}")),
        };
        let Some(from) = from else { continue };
        if from.pkttype() == PACKET_OUTGOING {
            continue;
        }
        {
            let p = ports.lock().unwrap_or_else(PoisonError::into_inner);
            if p.version != version {
                version = p.version;
                network_of = p
                    .network_of
                    .iter()
                    .filter_map(|(name, net)| {
                        nix::net::if_::if_nametoindex(name.as_str())
                            .ok()
                            .map(|i| (i as usize, *net))
                    })
                    .collect();
            }
        }
        if let Some(net) = network_of.get(&from.ifindex()) {
            if let Some(file) = files.get_mut(*net) {
                file.packet(SystemTime::now(), &buf[..n])
                    .map_err(|e| format!("cannot write the capture: {e}"))?;
            }
        }
    }
    for file in files {
        file.flush()
            .map_err(|e| format!("cannot write the capture: {e}"))?;
    }
    Ok(())
}
