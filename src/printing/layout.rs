//! What goes on paper: a ticket (or a CHANGED / CANCELLED chit, or a test
//! page) laid out as a device-independent [`Document`] of styled lines.
//!
//! It follows klikit's kitchen copy (PARTNER-API §7): the ticket number
//! large, the order type and table, the brand, the time placed (and the
//! scheduled time), each line as `qty x name` with its modifiers indented
//! under it and its note as `Note: …`, the order note, allergy notes set
//! apart in inverse, and **no prices** (a ticket carries none). REPRINT and
//! BACKUP marks head the page in inverse.
//!
//! What it never does: encode bytes for a printer (`escpos`) or rasterise
//! (`raster`). It is pure: the time is passed in.

use time::{OffsetDateTime, UtcOffset};

use crate::kitchen::{LineChange, Ticket, TicketLine};
use crate::klikit::order::{Modifier, OrderType};
use crate::store::PrintKind;

/// Text size: the printer's font at 1x, 2x tall, or 2x both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Normal,
    Tall,
    Large,
}

impl Size {
    /// How many normal columns one character takes across.
    pub fn width(self) -> usize {
        if self == Size::Large {
            2
        } else {
            1
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
}

/// One printed line (already wrapped to the paper's width).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub size: Size,
    pub bold: bool,
    /// White on black: for marks and allergy notes.
    pub inverse: bool,
    pub align: Align,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Line(Line),
    /// A dashed rule across the paper.
    Rule,
    /// Paper fed out, then cut.
    Cut,
}

/// A page, ready to encode for any printer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub blocks: Vec<Block>,
}

impl Document {
    /// The text alone, one line per printed line (`-` rules): for tests and logs.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            match b {
                Block::Line(l) => out.push_str(&l.text),
                Block::Rule => out.push_str("--------"),
                Block::Cut => out.push_str("[cut]"),
            }
            out.push('\n');
        }
        out
    }
}

/// Marks that head the page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    pub reprint: bool,
    pub backup: bool,
}

/// The paper it goes on.
#[derive(Debug, Clone)]
pub struct Page {
    /// Characters per line at normal size.
    pub columns: usize,
    /// The kitchen's clock, for times on paper.
    pub utc_offset: UtcOffset,
    pub printer: String,
    /// The stations this printer prints for (its tickets hold only their
    /// lines), shown under the header; `None`: the whole ticket.
    pub station: Option<String>,
}

/// Words in a note that mark it as an allergy note (English, Indonesian,
/// Thai, Vietnamese, Chinese).
const ALLERGY_WORDS: &[&str] = &["allerg", "alergi", "แพ้", "dị ứng", "di ung", "过敏", "過敏"];

/// Whether a note is about an allergy (set apart in inverse).
pub fn is_allergy_note(note: &str) -> bool {
    let lower = note.to_lowercase();
    ALLERGY_WORDS.iter().any(|w| lower.contains(w))
}

struct Builder<'p> {
    page: &'p Page,
    doc: Document,
}

impl Builder<'_> {
    fn line(&mut self, text: &str, size: Size, bold: bool, inverse: bool, align: Align) {
        let width = (self.page.columns / size.width()).max(8);
        for piece in wrap(text, width) {
            self.doc.blocks.push(Block::Line(Line { text: piece, size, bold, inverse, align }));
        }
    }
    fn text(&mut self, text: &str) {
        self.line(text, Size::Normal, false, false, Align::Left);
    }
    fn bold(&mut self, text: &str) {
        self.line(text, Size::Normal, true, false, Align::Left);
    }
    fn rule(&mut self) {
        self.doc.blocks.push(Block::Rule);
    }
    fn note(&mut self, label: &str, note: &str, indent: &str) {
        let note = note.trim();
        if note.is_empty() {
            return;
        }
        if is_allergy_note(note) {
            self.line(&format!("{indent}!! {label}{note} !!"), Size::Normal, true, true, Align::Left);
        } else {
            self.text(&format!("{indent}{label}{note}"));
        }
    }
    fn modifiers(&mut self, modifiers: &[Modifier], depth: usize) {
        for m in modifiers {
            let indent = "  ".repeat(depth + 1);
            let qty = if m.quantity > 1 { format!("{} x ", m.quantity) } else { String::new() };
            self.text(&format!("{indent}{qty}{}", m.name));
            self.modifiers(&m.modifiers, depth + 1);
        }
    }
    fn cart_line(&mut self, l: &TicketLine, prefix: &str) {
        self.line(&format!("{prefix}{} x {}", l.quantity, l.name), Size::Tall, true, false, Align::Left);
        self.modifiers(&l.modifiers, 0);
        if let Some(c) = &l.comment {
            self.note("Note: ", c, "  ");
        }
    }
    fn marks(&mut self, marks: Marks) {
        if marks.backup {
            self.line(" BACKUP ", Size::Large, true, true, Align::Center);
        }
        if marks.reprint {
            self.line(" REPRINT ", Size::Large, true, true, Align::Center);
        }
    }
    /// "Station: grill" on a station printer's ticket.
    fn station(&mut self, page: &Page) {
        if let Some(s) = &page.station {
            self.line(&format!("Station: {s}"), Size::Tall, true, false, Align::Left);
        }
    }

    fn header(&mut self, t: &Ticket) {
        let number = if t.short_id.is_empty() { t.order_id.as_str() } else { t.short_id.as_str() };
        self.line(&format!("#{number}"), Size::Large, true, false, Align::Center);
        let mut kind = order_type(t.order_type).to_string();
        if let Some(table) = t.table_no.as_deref().filter(|s| !s.trim().is_empty()) {
            kind.push_str(&format!(" - Table {}", table.trim()));
        }
        if let Some(channel) = t.channel.as_deref().filter(|s| !s.is_empty()) {
            kind.push_str(&format!(" - {channel}"));
        }
        self.line(&kind, Size::Tall, true, false, Align::Center);
        if let Some(brand) = t.brand.as_ref().and_then(|b| b.title.as_deref()) {
            self.line(brand, Size::Normal, true, false, Align::Center);
        }
        if t.test {
            self.line("TEST ORDER", Size::Normal, true, true, Align::Center);
        }
    }
    fn times(&mut self, t: &Ticket) {
        if let Some(placed) = t.placed_at {
            self.text(&format!("Placed    {}", self.clock(placed)));
        }
        if let Some(s) = t.scheduled_at {
            self.bold(&format!("Scheduled {}", self.clock(s)));
        }
    }
    fn clock(&self, t: OffsetDateTime) -> String {
        let t = t.to_offset(self.page.utc_offset);
        format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month() as u8, t.day(), t.hour(), t.minute())
    }
    fn footer(&mut self, t: &Ticket) {
        self.rule();
        self.text(&format!("Order {}", t.order_id));
        self.doc.blocks.push(Block::Cut);
    }
}

fn order_type(t: OrderType) -> &'static str {
    match t {
        OrderType::Pickup => "PICKUP",
        OrderType::Delivery => "DELIVERY",
        OrderType::DineIn => "DINE IN",
        OrderType::Unknown => "ORDER",
    }
}

/// Lays out one print job.
pub fn document(kind: PrintKind, ticket: Option<&Ticket>, marks: Marks, page: &Page, now: OffsetDateTime) -> Document {
    let mut b = Builder { page, doc: Document::default() };
    b.marks(marks);
    match (kind, ticket) {
        (PrintKind::Ticket, Some(t)) => {
            b.header(t);
            b.station(page);
            b.times(t);
            b.rule();
            for l in t.lines.iter().filter(|l| l.change != Some(LineChange::Removed)) {
                b.cart_line(l, "");
            }
            if let Some(c) = &t.order_comment {
                b.rule();
                b.note("Order note: ", c, "");
            }
            b.footer(t);
        }
        (PrintKind::Changed, Some(t)) => {
            b.line(" CHANGED ", Size::Large, true, true, Align::Center);
            b.header(t);
            b.station(page);
            b.rule();
            let changed: Vec<&TicketLine> = t.lines.iter().filter(|l| l.change.is_some()).collect();
            if changed.is_empty() {
                b.text("Order details changed; no line changed.");
            }
            for l in changed {
                match l.change {
                    Some(LineChange::Added) => b.cart_line(l, "ADD "),
                    Some(LineChange::Removed) => b.line(&format!("REMOVE {} x {}", l.quantity, l.name), Size::Tall, true, true, Align::Left),
                    Some(LineChange::Quantity) => {
                        let was = l.previous_quantity.map(|q| format!(" (was {q})")).unwrap_or_default();
                        b.cart_line(l, "NOW ");
                        b.text(&format!("  quantity changed{was}"));
                    }
                    Some(LineChange::Modifiers) => {
                        b.cart_line(l, "");
                        b.text("  options changed");
                    }
                    None => {}
                }
            }
            if let Some(c) = &t.order_comment {
                b.note("Order note: ", c, "");
            }
            b.footer(t);
        }
        (PrintKind::Cancelled, Some(t)) => {
            b.line(" CANCELLED ", Size::Large, true, true, Align::Center);
            b.header(t);
            b.rule();
            let reason = t.cancellation_reason.as_deref().filter(|r| !r.trim().is_empty()).unwrap_or("no reason given");
            b.bold(&format!("Reason: {reason}"));
            b.text("Stop:");
            for l in t.lines.iter().filter(|l| l.change != Some(LineChange::Removed)) {
                b.text(&format!("  {} x {}", l.quantity, l.name));
            }
            b.footer(t);
        }
        (PrintKind::Test, _) | (_, None) => {
            b.line("TEST PAGE", Size::Large, true, false, Align::Center);
            b.text(&format!("Printer: {}", page.printer));
            b.text(&format!("Printed: {}", b.clock(now)));
            b.text(&format!("{} characters a line", page.columns));
            b.rule();
            b.line("Large", Size::Large, true, false, Align::Left);
            b.line("Tall bold", Size::Tall, true, false, Align::Left);
            b.text("Normal 0123456789");
            b.note("", "Allergy: inverse", "");
            b.doc.blocks.push(Block::Cut);
        }
    }
    b.doc
}

/// How many normal columns a character takes on paper (East Asian wide
/// characters take two; combining marks none).
pub fn char_columns(c: char) -> usize {
    let u = c as u32;
    let combining = matches!(u, 0x0300..=0x036F | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E | 0x200B..=0x200F);
    let wide = matches!(u, 0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if combining {
        0
    } else if wide {
        2
    } else {
        1
    }
}

/// Wraps `text` to `width` columns, at spaces where it can and anywhere
/// where it must (Chinese and Thai have no spaces between words).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut cols = 0;
        for word in para.split_inclusive(' ') {
            let w: usize = word.chars().map(char_columns).sum();
            if cols + w.saturating_sub(usize::from(word.ends_with(' '))) > width && cols > 0 {
                out.push(line.trim_end().to_string());
                line.clear();
                cols = 0;
            }
            for c in word.chars() {
                let cw = char_columns(c);
                if cols + cw > width {
                    out.push(line.trim_end().to_string());
                    line.clear();
                    cols = 0;
                    if c == ' ' {
                        continue;
                    }
                }
                line.push(c);
                cols += cw;
            }
        }
        out.push(line.trim_end().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/01-order-created-single.json")).unwrap();
        let orders = crate::klikit::decode_orders(&body).expect("the fixture decodes");
        let kitchen = crate::kitchen::Kitchen::default();
        kitchen.apply(None, &orders[0], OffsetDateTime::now_utc()).record.ticket
    }

    fn page() -> Page {
        Page { columns: 48, utc_offset: UtcOffset::from_hms(7, 0, 0).unwrap(), printer: "hot".into(), station: None }
    }

    #[test]
    fn a_ticket_follows_the_kitchen_copy_without_prices() {
        let t = ticket();
        let doc = document(PrintKind::Ticket, Some(&t), Marks::default(), &page(), OffsetDateTime::now_utc());
        let text = doc.plain_text();
        assert!(text.contains(&format!("#{}", t.short_id)), "the ticket number is on the page:\n{text}");
        let first = &t.lines[0];
        assert!(text.contains(&format!("{} x {}", first.quantity, first.name)), "lines print as qty x name:\n{text}");
        assert!(!text.contains("Rp") && !text.contains("price"), "no prices on the kitchen copy:\n{text}");
        let number = doc.blocks.iter().find_map(|b| match b {
            Block::Line(l) if l.text.starts_with('#') => Some(l.size),
            _ => None,
        });
        assert_eq!(number, Some(Size::Large), "the ticket number prints large");
        let allergy = doc.blocks.iter().any(|b| matches!(b, Block::Line(l) if l.inverse && l.text.contains("allergy")));
        assert!(allergy, "the fixture's allergy note is set apart in inverse:\n{text}");
        assert_eq!(doc.blocks.last(), Some(&Block::Cut), "a ticket ends with a cut");
        assert!(!text.contains("REPRINT") && !text.contains("BACKUP"));
    }

    #[test]
    fn marks_and_chits_say_what_they_are() {
        let mut t = ticket();
        let marks = Marks { reprint: true, backup: true };
        let text = document(PrintKind::Ticket, Some(&t), marks, &page(), OffsetDateTime::now_utc()).plain_text();
        assert!(text.contains("REPRINT") && text.contains("BACKUP"), "both marks head the page:\n{text}");
        t.lines[0].change = Some(LineChange::Quantity);
        t.lines[0].previous_quantity = Some(1);
        let text = document(PrintKind::Changed, Some(&t), Marks::default(), &page(), OffsetDateTime::now_utc()).plain_text();
        assert!(text.contains("CHANGED") && text.contains("(was 1)") && text.contains(&t.lines[0].name), "a CHANGED chit names the changed line:\n{text}");
        assert!(!text.contains(&t.lines[1].name), "an unchanged line is not on the chit:\n{text}");
        t.cancellation_reason = Some("Customer cancelled".into());
        let text = document(PrintKind::Cancelled, Some(&t), Marks::default(), &page(), OffsetDateTime::now_utc()).plain_text();
        assert!(text.contains("CANCELLED") && text.contains("Reason: Customer cancelled"), "{text}");
    }

    #[test]
    fn wrapping_counts_wide_characters_twice_and_breaks_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("炒饭炒饭炒饭", 8), vec!["炒饭炒饭", "炒饭"], "a Chinese character takes two columns");
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(char_columns('ั'), 0, "a Thai vowel mark sits on its consonant");
    }
}
