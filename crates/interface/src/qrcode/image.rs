//! Drawing a QR code of a URL, as PNG or SVG.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::QrCode;
use qrcode::render::svg;

use crate::pipeline::filters::ApiError;

/// The image formats `GET /api/qrcode/image` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `image/png`
    Png,
    /// `image/svg+xml`
    Svg,
}

impl Format {
    /// `png` or `svg`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "png" => Some(Self::Png),
            "svg" => Some(Self::Svg),
            _ => None,
        }
    }

    /// The response's content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Svg => "image/svg+xml",
        }
    }
}

/// The QR code of `text` in `format`.
///
/// # Errors
/// 500 when the text does not fit a QR code or encoding fails (neither happens for
/// the URLs the service makes).
pub fn render(text: &str, format: Format) -> Result<Vec<u8>, ApiError> {
    let code = QrCode::new(text.as_bytes()).map_err(|err| ApiError::internal(err.to_string()))?;
    match format {
        Format::Svg => Ok(code
            .render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .build()
            .into_bytes()),
        Format::Png => {
            let image = code.render::<Luma<u8>>().min_dimensions(240, 240).build();
            let mut bytes = Cursor::new(Vec::new());
            image
                .write_to(&mut bytes, ImageFormat::Png)
                .map_err(|err| ApiError::internal(err.to_string()))?;
            Ok(bytes.into_inner())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_and_an_svg_are_produced() {
        let url = "http://127.0.0.1:8000/m/qrcode/confirm?id=3f2b8c1e-7d4a-4f6b-9c2d-1a2b3c4d5e6f";
        let png = render(url, Format::Png).expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let svg = String::from_utf8(render(url, Format::Svg).expect("svg")).expect("utf8");
        assert!(svg.contains("<svg"));
    }
}
