//! The WeChat documentation's UDPSocket sample, made runnable on loopback:
//! `udp.bind()`, `udp.send({address, port, message: 'hello, how are you'})`, and the
//! reply printed with its `remoteInfo`. A second socket in this program plays the device
//! and echoes what it receives.
//!
//! Run: `cargo run -p wxudp --example hello`

use std::sync::mpsc;
use std::time::Duration;

use wxudp::{Error, SendOptions, SocketType, UdpSocket};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The "device": echoes every datagram to its sender.
    let device = UdpSocket::new(SocketType::Udp4)?;
    let replier = device.clone();
    device.on_message(move |msg| {
        let to = msg.remote.ip().to_string();
        if let Err(e) = replier.send(&SendOptions::new(&to, msg.remote.port(), &msg.data)) {
            eprintln!("device could not reply: {e}");
        }
    });
    let device_port = device.bind(0)?;
    println!("device: echoing on 127.0.0.1:{device_port}");

    // The mini program's socket, as in the documentation.
    let udp = UdpSocket::new(SocketType::Udp4)?;
    let (tx, rx) = mpsc::channel();
    let listening = tx.clone();
    udp.on_listening(move || {
        let _ = listening.send(None);
    });
    udp.on_message(move |msg| {
        let _ = tx.send(Some(msg.clone()));
    });
    udp.on_error(|e: &Error| eprintln!("onError: {{errMsg: '{e}', errCode: {}}}", e.code()));
    let port = udp.bind(0)?;
    println!("udp.bind() = {port}");
    udp.send(&SendOptions::new(
        "127.0.0.1",
        device_port,
        "hello, how are you",
    ))?;
    println!(
        "udp.send({{address: '127.0.0.1', port: {device_port}, message: 'hello, how are you'}})"
    );

    loop {
        match rx.recv_timeout(Duration::from_secs(10))? {
            None => println!("onListening: {{errMsg: 'bind:ok'}}"),
            Some(msg) => {
                println!("onMessage: {:?}", String::from_utf8_lossy(&msg.data));
                println!(
                    "  remoteInfo: {{address: '{}', family: '{}', port: {}, size: {}}}",
                    msg.remote.ip(),
                    msg.remote_family(),
                    msg.remote.port(),
                    msg.size()
                );
                println!(
                    "  localInfo: {{address: '{}', family: '{}', port: {}}}",
                    msg.local.ip(),
                    msg.local_family(),
                    msg.local.port()
                );
                break;
            }
        }
    }
    udp.close()?;
    device.close()?;
    println!("udp.close(): done");
    Ok(())
}
