//! Any language on paper: a line of a ticket drawn as a monochrome bitmap
//! with the bundled fonts, for lines the printer's code page cannot hold
//! (Thai, Chinese, Vietnamese) and for printers in image mode.
//!
//! What it owns: the bundled fonts (`assets/fonts/`, subsets of Noto Sans,
//! Noto Sans Thai and Noto Sans SC, all SIL OFL 1.1; see the README there)
//! and the choice of font per character (the first that has a glyph).
//! Glyphs are rasterised by `ab_glyph`; this file only places them.
//!
//! What it never does: shape text. Thai vowel and tone marks are drawn at
//! the pen without advancing it, over the consonant before them, which is
//! how the fonts draw them; a rare stacked mark may touch its neighbour.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont};

use super::layout::{Align, Line, Size};

static LATIN: &[u8] = include_bytes!("../../assets/fonts/ticket-latin.ttf");
static THAI: &[u8] = include_bytes!("../../assets/fonts/ticket-thai.ttf");
static CJK: &[u8] = include_bytes!("../../assets/fonts/ticket-cjk.ttf");

fn fonts() -> &'static [FontRef<'static>] {
    static FONTS: OnceLock<Vec<FontRef<'static>>> = OnceLock::new();
    FONTS.get_or_init(|| {
        [LATIN, THAI, CJK].iter().map(|bytes| FontRef::try_from_slice(bytes).expect("the bundled fonts are valid TrueType")).collect()
    })
}

/// A 1-bit image: rows of `width.div_ceil(8)` bytes, most significant bit
/// first, 1 = black (the layout of ESC/POS `GS v 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    pub width: u32,
    pub height: u32,
    pub bits: Vec<u8>,
}

impl Bitmap {
    pub fn new(width: u32, height: u32) -> Bitmap {
        Bitmap { width, height, bits: vec![0; (width.div_ceil(8) * height) as usize] }
    }

    pub fn get(&self, x: u32, y: u32) -> bool {
        let i = (y * self.width.div_ceil(8) + x / 8) as usize;
        self.bits[i] & (0x80 >> (x % 8)) != 0
    }

    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let i = (y * self.width.div_ceil(8) + x / 8) as usize;
        if black {
            self.bits[i] |= 0x80 >> (x % 8);
        } else {
            self.bits[i] &= !(0x80 >> (x % 8));
        }
    }

    /// Black dots.
    pub fn ink(&self) -> usize {
        self.bits.iter().map(|b| b.count_ones() as usize).sum()
    }
}

/// The font that draws `c`, and its glyph; `None` when no bundled font has it.
fn glyph_for(c: char) -> Option<(&'static FontRef<'static>, GlyphId)> {
    fonts().iter().find_map(|f| {
        let id = f.glyph_id(c);
        (id.0 != 0).then_some((f, id))
    })
}

/// The characters of `text` that no bundled font can draw (spaces and
/// control characters aside).
pub fn missing_glyphs(text: &str) -> Vec<char> {
    text.chars().filter(|c| !c.is_whitespace() && !c.is_control() && glyph_for(*c).is_none()).collect()
}

/// Lays the glyphs of `text` out at `px`, returning each with its pen x.
fn place(text: &str, px: f32) -> (Vec<(&'static FontRef<'static>, GlyphId, f32)>, f32) {
    let mut x = 0.0;
    let mut placed = Vec::new();
    for c in text.chars() {
        let Some((font, id)) = glyph_for(c).or_else(|| glyph_for('?')) else { continue };
        placed.push((font, id, x));
        x += font.as_scaled(PxScale::from(px)).h_advance(id);
    }
    (placed, x)
}

/// Draws one ticket line across `dots` of paper.
pub fn render_line(line: &Line, dots: u32) -> Bitmap {
    let mut px = match line.size {
        Size::Normal => 24.0,
        Size::Tall | Size::Large => 44.0,
    };
    let (_, mut width) = place(&line.text, px);
    if width > dots as f32 {
        px *= dots as f32 / width;
        width = dots as f32;
    }
    let (placed, _) = place(&line.text, px);
    let height = (px * 1.25).ceil() as u32 + 2;
    let mut bitmap = Bitmap::new(dots, height);
    if line.inverse {
        bitmap.bits.iter_mut().for_each(|b| *b = 0xFF);
    }
    let left = match line.align {
        Align::Left => 0.0,
        Align::Center => ((dots as f32 - width) / 2.0).max(0.0),
    };
    let baseline = px.ceil() + 1.0;
    for (font, id, x) in placed {
        let glyph = id.with_scale_and_position(PxScale::from(px), ab_glyph::point(left + x, baseline));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                if coverage > 0.4 {
                    let (x, y) = (bounds.min.x as i32 + gx as i32, bounds.min.y as i32 + gy as i32);
                    if x >= 0 && y >= 0 {
                        bitmap.set(x as u32, y as u32, !line.inverse);
                    }
                }
            });
        }
    }
    bitmap
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line { text: text.into(), size: Size::Normal, bold: false, inverse: false, align: Align::Left }
    }

    #[test]
    fn thai_chinese_and_vietnamese_all_have_glyphs_and_ink() {
        for text in ["ข้าวผัดกุ้ง", "扬州炒饭 加蛋", "Phở bò tái, không hành", "Nasi goreng pedas"] {
            assert_eq!(missing_glyphs(text), Vec::<char>::new(), "the bundled fonts cover {text}");
            let b = render_line(&line(text), 576);
            assert!(b.ink() > 200, "{text} leaves ink on the paper ({} dots)", b.ink());
        }
        assert_eq!(missing_glyphs("한국어"), vec!['한', '국', '어'], "Korean is not bundled, and says so");
    }

    #[test]
    fn inverse_is_mostly_black_and_a_long_line_is_scaled_down() {
        let mut l = line("ALLERGY");
        l.inverse = true;
        let b = render_line(&l, 384);
        assert!(b.ink() > (b.width * b.height) as usize / 2, "white on black");
        let short = render_line(&line("炒饭"), 384);
        let long = render_line(&line(&"炒饭".repeat(40)), 384);
        assert!(long.height < short.height, "80 characters are drawn smaller to fit 384 dots ({} vs {} rows)", long.height, short.height);
    }
}
