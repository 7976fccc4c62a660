//! The ladder diagrams: the text against `tshark -q -z flow,tcp,standard` and
//! `flow,tcp,network` byte for byte on the seed and every capture of the test data; the SVG
//! as XML, as Chromium renders it, and the seed's as committed (`docs/ladder-seed.svg`); the
//! Mermaid text as Mermaid's own renderer reads it, and by its structure. Kernel traffic is
//! compared in `tests/kernel/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Need, needs};
use synack::capture::CaptureReader;
use synack::format::ladder::{Ladder, SvgOptions};

/// Captures whose flow graph synack does not draw as tshark does, and why.
const SET_ASIDE: &[(&str, &str)] = &[
    (
        "bgp-aigp.pcap",
        "Juniper Ethernet link type (178), which synack does not decode",
    ),
    (
        "ipoib.pcap",
        "IP over InfiniBand link type, which synack does not decode",
    ),
    ("geneve.pcap", "TCP inside Geneve, a tunnel (other content to synack)"),
    ("geneve-gcp.pcap", "TCP inside Geneve, a tunnel"),
    ("gso-ipv6-vxlan-ipv6.pcap", "TCP inside VXLAN, a tunnel"),
    ("wccp_redirect_gre.pcap", "TCP inside GRE, a tunnel"),
    (
        "timestamp_invalid_micro.pcap",
        "a microseconds field of 2^31: Wireshark multiplies it by 1000 in 32 bits (0 ns), synack carries it into the seconds",
    ),
];

fn ladder_of(file: &Path) -> Ladder {
    // A damaged capture: the frames before the damage, as tshark draws them.
    Ladder::read(CaptureReader::open(file).expect("open capture")).0
}

/// tshark's flow graph of `file`, `standard` and `network` in one run (it prints the
/// second first).
fn tshark_flow(file: &Path) -> String {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(file).arg("-q");
    // The same application dissectors that change the follow tap's addresses change the
    // flow graph's (tests/common/follow.rs says why).
    if let Some((_, args, _)) = common::follow::TSHARK_ARGS.iter().find(|(f, ..)| *f == name) {
        cmd.args(*args);
    }
    let out = cmd
        .args(["-z", "flow,tcp,standard", "-z", "flow,tcp,network"])
        .output()
        .expect("run tshark");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn captures() -> Vec<PathBuf> {
    let mut files = common::corpus_captures();
    files.push(common::data_dir().join("seed/seed.pcap"));
    files
}

#[test]
fn flow_text_matches_tshark_on_the_corpus() {
    if !needs("flow_text_matches_tshark_on_the_corpus", &[Need::Tshark]) {
        return;
    }
    let (mut drawn, mut lines, mut differ, mut aside) = (0, 0, Vec::new(), 0);
    for file in captures() {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if SET_ASIDE.iter().any(|(f, _)| *f == name) {
            aside += 1;
            continue;
        }
        let mut ours = String::new();
        ladder_of(&file).write_text(&mut ours);
        if tshark_flow(&file) != ours.repeat(2) {
            differ.push(file.display().to_string());
        }
        drawn += usize::from(!ours.is_empty());
        lines += ours.lines().count();
    }
    eprintln!(
        "flow: {drawn} captures with TCP drawn ({lines} lines, standard and network), {aside} set aside, {} differ",
        differ.len()
    );
    for (f, why) in SET_ASIDE {
        eprintln!("  set aside: {f}: {why}");
    }
    for d in &differ {
        eprintln!("  differs: {d}");
    }
    assert!(drawn > 90, "{drawn} captures drawn");
    assert!(differ.is_empty());
}

fn seed() -> Ladder {
    Ladder::read(CaptureReader::seed()).0
}

#[test]
fn the_seed_pictures_are_the_committed_ones() {
    let (mut svg, mut mermaid) = (String::new(), String::new());
    seed().write_svg(&mut svg, 0, SvgOptions::default());
    seed().write_mermaid(&mut mermaid, 0);
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    for (file, made) in [("ladder-seed.svg", &svg), ("ladder-seed.mmd", &mermaid)] {
        let committed = std::fs::read_to_string(docs.join(file)).expect("the committed picture");
        assert!(
            committed == *made,
            "docs/{file} is not what the code draws: regenerate it with `cargo run --example ladder -- --format {}`",
            if file.ends_with("svg") { "svg" } else { "mermaid" }
        );
    }
}

/// Checks an SVG document: XML, an `svg` root of the stated size, `arrows` arrows.
fn check_svg(svg: &str, arrows: usize, what: &str) -> (u32, u32) {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{what}: not XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{what}");
    let size = |a: &str| root.attribute(a).and_then(|v| v.parse().ok()).expect("a size");
    let drawn = doc
        .descendants()
        .filter(|n| n.has_tag_name("line") && n.attribute("marker-end").is_some())
        .count();
    assert_eq!(drawn, arrows, "{what}: arrows");
    (size("width"), size("height"))
}

#[test]
fn every_conversation_draws_as_valid_svg_within_its_limit() {
    let (mut conversations, mut elided) = (0, 0);
    for file in captures() {
        let ladder = ladder_of(&file);
        for conv in ladder.conversations().into_iter().take(3) {
            let n = ladder.arrows_of(conv).count();
            let mut svg = String::new();
            ladder.write_svg(&mut svg, conv, SvgOptions::default().with_max_arrows(20));
            check_svg(&svg, n.min(20), &format!("{} stream {conv}", file.display()));
            if n > 20 {
                assert!(svg.contains(&format!("... {} more segments not drawn ...", n - 20)));
                elided += 1;
            }
            conversations += 1;
        }
    }
    eprintln!("svg: {conversations} conversations drawn, {elided} elided past 20 arrows");
    assert!(conversations > 100 && elided > 20);
}

#[test]
fn the_seed_svg_renders_in_chromium() {
    if !needs("the_seed_svg_renders_in_chromium", &[Need::Chromium]) {
        return;
    }
    let mut svg = String::new();
    seed().write_svg(&mut svg, 0, SvgOptions::default());
    let (width, height) = check_svg(&svg, 9, "the seed");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ladder");
    std::fs::create_dir_all(&dir).unwrap();
    let (file, shot) = (dir.join("seed.svg"), dir.join("seed.png"));
    std::fs::write(&file, &svg).unwrap();
    let status = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("run chromium");
    assert!(
        status.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let decoder = png::Decoder::new(std::fs::File::open(&shot).expect("the screenshot"));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("its pixels");
    assert_eq!((info.width, info.height), (width, height), "the picture's size");
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let ink = pixels
        .chunks(channels)
        .filter(|p| p[..3].iter().any(|&c| c < 200))
        .count();
    let total = (info.width * info.height) as usize;
    // Not blank, not a solid block: lines and text on white.
    assert!(ink * 200 > total && ink * 4 < total, "{ink} of {total} pixels inked");
    // The notes' colours are there (green for the handshake).
    assert!(
        pixels.chunks(channels).any(|p| p[1] > 80 && p[0] < 60 && p[2] < 80),
        "no green note"
    );
}

/// Checks Mermaid text by its structure: the header, two participants, a message per
/// arrow (at most 200) and notes over both.
fn check_mermaid(text: &str, arrows: usize, notes: usize) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sequenceDiagram"));
    let body: Vec<&str> = lines.collect();
    let participants = body
        .iter()
        .filter(|l| l.trim_start().starts_with("participant "))
        .count();
    let messages = body
        .iter()
        .filter(|l| {
            ["C->>S: ", "S->>C: ", "C-->>S: ", "S-->>C: "]
                .iter()
                .any(|m| l.trim_start().starts_with(m))
        })
        .count();
    let noted = body
        .iter()
        .filter(|l| l.trim_start().starts_with("Note over C,S: "))
        .count();
    assert_eq!((participants, messages), (2, arrows.min(200)));
    assert_eq!(noted, notes + usize::from(arrows > 200));
    assert!(
        body.iter().all(|l| !l.contains(';') && !l.contains('#')),
        "Mermaid statement characters"
    );
}

#[test]
fn mermaid_text_has_a_message_per_segment_and_the_notes() {
    let ladder = seed();
    let mut text = String::new();
    ladder.write_mermaid(&mut text, 0);
    check_mermaid(&text, 9, ladder.notes_of(0).count());
    // A long conversation is cut at 200 messages, with a note saying so.
    let big = ladder_of(&common::data_dir().join("zeek/http__m57-long-49600-80.pcap"));
    let conv = big
        .conversations()
        .into_iter()
        .max_by_key(|&c| big.arrows_of(c).count())
        .unwrap();
    let mut text = String::new();
    big.write_mermaid(&mut text, conv);
    check_mermaid(
        &text,
        big.arrows_of(conv).count(),
        big.notes_of(conv)
            .filter(|n| big.arrows_of(conv).take(200).any(|a| a.frame == n.frame))
            .count(),
    );
}

#[test]
fn mermaid_cli_reads_the_diagrams() {
    if !needs("mermaid_cli_reads_the_diagrams", &[Need::Mermaid]) {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mermaid");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("puppeteer.json");
    std::fs::write(
        &config,
        r#"{"executablePath":"/usr/bin/chromium","args":["--no-sandbox","--disable-gpu","--disable-background-networking"]}"#,
    )
    .unwrap();
    let mut text = String::new();
    seed().write_mermaid(&mut text, 0);
    let (input, output) = (dir.join("seed.mmd"), dir.join("seed-mermaid.svg"));
    std::fs::write(&input, &text).unwrap();
    let run = Command::new("mmdc")
        .arg("-p")
        .arg(&config)
        .arg("-i")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .expect("run mmdc");
    assert!(run.status.success(), "mmdc: {}", String::from_utf8_lossy(&run.stderr));
    let svg = std::fs::read_to_string(&output).expect("mmdc's SVG");
    let doc = roxmltree::Document::parse(&svg).expect("mmdc's SVG is XML");
    // Mermaid drew a sequence diagram with the messages' text.
    assert!(svg.contains("sequence"), "not a sequence diagram");
    let texts: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains("handshake complete"), "the handshake note");
    assert!(texts.contains("PSH, ACK Seq=1 Ack=1 Len=5"), "the lab's five bytes");
}
