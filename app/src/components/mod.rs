//! Small reusable pieces of UI.

mod activity_chart;
mod comments;
mod copy_button;
mod csrf_field;
mod field_error;
mod flash_error;
mod guest_frame;
mod redirect_to;
mod revoke_button;
mod status_badge;
mod time_zone;
mod upload_form;

pub use activity_chart::ActivityChart;
pub use comments::{CommentsPanel, LiveComments, Voice};
pub use copy_button::{write_clipboard, CopyButton};
pub use csrf_field::CsrfField;
pub use field_error::{invalid, message_for, FieldError};
pub use flash_error::FlashError;
pub use guest_frame::GuestFrame;
pub use redirect_to::RedirectTo;
pub use revoke_button::RevokeButton;
pub use status_badge::StatusBadge;
#[cfg(feature = "ssr")]
pub use time_zone::ViewerZone;
pub use time_zone::{
    current_offset, current_offset_signal, local_input_value, local_time, offset_at, offset_for,
    remember_time_zone, zone_label, zone_label_signal, LocalTime, TIME_ZONE_COOKIE,
};
pub use upload_form::UploadForm;
