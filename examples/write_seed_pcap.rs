//! Writes the seed's nine frames as a pcap file: `cargo run --example write_seed_pcap -- OUT.pcap`.
fn main() -> std::io::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "seed.pcap".to_string());
    std::fs::write(&out, synack::capture::write::seed_pcap())?;
    eprintln!("wrote {out}");
    Ok(())
}
