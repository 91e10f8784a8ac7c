//! Files: uploads into a chat (visitor or staff), Drive files shared into a chat, and the Drive.
//!
//! Uploads are multipart and streamed: the small fields (`chat_id`, `token`, `folder`) come
//! first, then one `file` field whose bytes go to storage chunk by chunk. Downloads are plain
//! GET routes of the server (`/files/chat/<chat>/<id>`, `/files/drive/<id>`).

#[cfg(feature = "ssr")]
use super::ssr;
use super::ApiError;
use crate::model::{ChatId, DriveFile, DriveFolder, DriveListing};
use crate::rules::SharedFile;
use leptos::prelude::*;
use leptos::server_fn::codec::{Json, MultipartData, MultipartFormData};

/// Where a chat's file is downloaded; a visitor adds their chat token, which is what the widget
/// has (its page may live on another site, where cookies are not sent).
pub fn chat_file_url(chat_id: ChatId, file_id: i64, token: Option<&str>) -> String {
    match token {
        Some(token) => format!("/files/chat/{chat_id}/{file_id}?token={token}"),
        None => format!("/files/chat/{chat_id}/{file_id}"),
    }
}

pub fn drive_file_url(file_id: i64) -> String {
    format!("/files/drive/{file_id}")
}

/// Whether a type is shown inline as a preview: raster images browsers draw safely.
pub fn previewable(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

#[cfg(feature = "ssr")]
mod upload {
    use super::ApiError;
    use crate::server::service::files::Received;
    use crate::server::Service;
    use crate::validate::FieldError;
    use leptos::server_fn::codec::MultipartData;

    pub fn bad(message: &str) -> ApiError {
        ApiError::Invalid(vec![FieldError {
            field: "file".into(),
            message: message.into(),
        }])
    }

    /// The multipart form, refusing anything that is not one.
    pub fn form(data: MultipartData) -> Result<multer::Multipart<'static>, ApiError> {
        data.into_inner().ok_or(ApiError::Internal)
    }

    /// A short text field, read with a cap so it cannot fill memory.
    pub async fn small_text(field: &mut multer::Field<'static>) -> Result<String, ApiError> {
        let mut out = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|_| bad("The upload was interrupted."))?
        {
            out.extend_from_slice(&chunk);
            if out.len() > 256 {
                return Err(bad("The form is not valid."));
            }
        }
        String::from_utf8(out).map_err(|_| bad("The form is not valid."))
    }

    /// Streams the `file` field into storage under the live chat settings' limits.
    pub async fn receive(
        service: &Service,
        field: multer::Field<'static>,
    ) -> Result<Received, ApiError> {
        let name = field.file_name().unwrap_or_default().to_string();
        Ok(service.receive(&name, field).await?)
    }
}

/// Sends one file into a chat. Fields: `chat_id`, `token` (visitors only), then `file`. Staff
/// are recognised by their session and must be allowed to send in the chat (a monitor cannot).
#[server(endpoint = "upload_attachment", input = MultipartFormData)]
pub async fn upload_attachment(data: MultipartData) -> Result<SharedFile, ApiError> {
    use crate::server::service::Viewer;
    let service = ssr::service()?;
    let mut form = upload::form(data)?;
    let mut chat_id: Option<ChatId> = None;
    let mut token: Option<String> = None;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|_| upload::bad("The upload was interrupted."))?
    {
        match field.name() {
            Some("chat_id") => {
                chat_id = upload::small_text(&mut field).await?.trim().parse().ok();
            }
            Some("token") => token = Some(upload::small_text(&mut field).await?),
            Some("file") => {
                let chat_id = chat_id.ok_or(ApiError::NotFound)?;
                let viewer = match &token {
                    Some(token) => service.visitor(chat_id, token).await?,
                    None => Viewer::Staff(ssr::require_staff().await?),
                };
                service.may_attach(&viewer, chat_id).await?;
                let received = upload::receive(&service, field).await?;
                return Ok(service.attach(&viewer, chat_id, received).await?);
            }
            _ => {}
        }
    }
    Err(upload::bad("Choose a file to send."))
}

/// Staff share a copy of a Drive file in a chat they may send in.
#[server(endpoint = "share_drive_file", input = Json)]
pub async fn share_drive_file(chat_id: ChatId, file_id: i64) -> Result<SharedFile, ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?
        .share_drive_file(&me, chat_id, file_id)
        .await?)
}

/// One folder of the Drive (the top when `folder` is `None`).
#[server(endpoint = "drive_list", input = Json)]
pub async fn drive_list(folder: Option<i64>) -> Result<DriveListing, ApiError> {
    ssr::require_staff().await?;
    Ok(ssr::service()?.drive_listing(folder).await?)
}

/// Uploads one file into the Drive. Fields: `folder` (empty for the top), then `file`.
#[server(endpoint = "drive_upload", input = MultipartFormData)]
pub async fn drive_upload(data: MultipartData) -> Result<DriveFile, ApiError> {
    let me = ssr::require_staff().await?;
    let service = ssr::service()?;
    let mut form = upload::form(data)?;
    let mut folder: Option<i64> = None;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|_| upload::bad("The upload was interrupted."))?
    {
        match field.name() {
            Some("folder") => folder = upload::small_text(&mut field).await?.trim().parse().ok(),
            Some("file") => {
                service.check_drive_folder(folder).await?;
                let received = upload::receive(&service, field).await?;
                return Ok(service.add_drive_file(&me, folder, received).await?);
            }
            _ => {}
        }
    }
    Err(upload::bad("Choose a file to upload."))
}

#[server(endpoint = "drive_new_folder", input = Json)]
pub async fn drive_new_folder(parent: Option<i64>, name: String) -> Result<DriveFolder, ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.add_drive_folder(&me, parent, &name).await?)
}

#[server(endpoint = "drive_rename_folder", input = Json)]
pub async fn drive_rename_folder(id: i64, name: String) -> Result<DriveFolder, ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.rename_drive_folder(&me, id, &name).await?)
}

#[server(endpoint = "drive_delete_folder", input = Json)]
pub async fn drive_delete_folder(id: i64) -> Result<(), ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.delete_drive_folder(&me, id).await?)
}

#[server(endpoint = "drive_rename_file", input = Json)]
pub async fn drive_rename_file(id: i64, name: String) -> Result<DriveFile, ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.rename_drive_file(&me, id, &name).await?)
}

#[server(endpoint = "drive_delete_file", input = Json)]
pub async fn drive_delete_file(id: i64) -> Result<(), ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.delete_drive_file(&me, id).await?)
}
