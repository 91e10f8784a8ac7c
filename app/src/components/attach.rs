//! The `Attachment` button beside the chat box and the files on their way up.
//!
//! Each file goes up in its own request (XMLHttpRequest, whose upload progress `fetch` cannot
//! report), shows a progress bar and can be cancelled. A finished file is not shown from here:
//! it arrives in the transcript through the live socket like any other chat event, for everyone.

use crate::api::ApiError;
use crate::model::{file_size, ChatId};
use leptos::html::Input;
use leptos::prelude::*;

/// One file on its way up, or refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Upload {
    pub id: u64,
    pub name: String,
    pub size: u64,
    pub sent: u64,
    pub error: Option<String>,
}

/// Uploads into one chat or Drive folder: what the button, drag-and-drop and paste feed.
#[derive(Clone, Copy)]
pub struct Uploads {
    /// The server function's path.
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    endpoint: &'static str,
    /// The form fields sent before each file (the chat and the visitor's token, or the folder).
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    fields: StoredValue<Vec<(&'static str, String)>>,
    /// Told after each file that was stored (the Drive reloads its listing).
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    on_stored: Option<Callback<()>>,
    /// Whether this portal may attach files now (settings and the chat's state).
    pub enabled: Signal<bool>,
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    max_bytes: Signal<u64>,
    /// Staff: opens the Drive picker (`From Drive`); visitors have no Drive.
    pub from_drive: Option<Callback<()>>,
    pub items: RwSignal<Vec<Upload>>,
}

/// The words to show for a refused request.
pub fn api_message(e: &ApiError) -> String {
    match e {
        ApiError::Invalid(errors) if errors.len() == 1 => errors[0].message.clone(),
        other => other.to_string(),
    }
}

impl Uploads {
    /// Into a chat; `token` is the visitor's (staff go by their session).
    pub fn chat(
        chat_id: ChatId,
        token: Option<String>,
        enabled: Signal<bool>,
        max_bytes: Signal<u64>,
        from_drive: Option<Callback<()>>,
    ) -> Self {
        use leptos::server_fn::ServerFn;
        let mut fields = vec![("chat_id", chat_id.to_string())];
        if let Some(token) = token {
            fields.push(("token", token));
        }
        Uploads {
            endpoint: crate::api::files::UploadAttachment::PATH,
            fields: StoredValue::new(fields),
            on_stored: None,
            enabled,
            max_bytes,
            from_drive,
            items: RwSignal::new(Vec::new()),
        }
    }

    /// Into a Drive folder (`None`: the top), which [`Uploads::set_folder`] changes.
    pub fn drive(folder: Option<i64>, max_bytes: Signal<u64>, on_stored: Callback<()>) -> Self {
        use leptos::server_fn::ServerFn;
        Uploads {
            endpoint: crate::api::files::DriveUpload::PATH,
            fields: StoredValue::new(Self::folder_fields(folder)),
            on_stored: Some(on_stored),
            enabled: Signal::stored(true),
            max_bytes,
            from_drive: None,
            items: RwSignal::new(Vec::new()),
        }
    }

    fn folder_fields(folder: Option<i64>) -> Vec<(&'static str, String)> {
        vec![("folder", folder.map(|f| f.to_string()).unwrap_or_default())]
    }

    pub fn set_folder(&self, folder: Option<i64>) {
        self.fields.set_value(Self::folder_fields(folder));
    }

    #[cfg(feature = "browser")]
    fn set(&self, id: u64, f: impl FnOnce(&mut Upload)) {
        self.items.update(|items| {
            if let Some(u) = items.iter_mut().find(|u| u.id == id) {
                f(u);
            }
        });
    }

    /// Forgets a refused upload's line.
    pub fn dismiss(&self, id: u64) {
        self.items.update(|items| items.retain(|u| u.id != id));
    }

    /// Stops an upload on its way; nothing of it is kept on the server.
    pub fn cancel(&self, id: u64) {
        #[cfg(feature = "browser")]
        if let Some(running) = browser::take(id) {
            let _ = running.xhr.abort();
        }
        self.dismiss(id);
    }

    /// Sends every file in the list (from the picker, a drop or a paste).
    #[cfg(feature = "browser")]
    pub fn add_list(&self, files: Option<web_sys::FileList>) {
        let Some(files) = files else { return };
        if !self.enabled.get_untracked() {
            return;
        }
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                self.start(file);
            }
        }
    }

    #[cfg(feature = "browser")]
    fn start(&self, file: web_sys::File) {
        let id = browser::next_id();
        let size = file.size() as u64;
        let max = self.max_bytes.get_untracked();
        let name = file.name();
        let too_big = (max > 0 && size > max)
            .then(|| format!("{name} is larger than the limit of {}.", file_size(max)));
        self.items.update(|items| {
            items.push(Upload {
                id,
                name: name.clone(),
                size,
                sent: 0,
                error: too_big.clone(),
            })
        });
        if too_big.is_some() {
            return;
        }
        let this = *self;
        let result = browser::send(
            self.endpoint,
            &self.fields.get_value(),
            file,
            id,
            move |sent| this.set(id, |u| u.sent = sent),
            move |outcome| match outcome {
                Ok(()) => {
                    this.dismiss(id);
                    if let Some(cb) = this.on_stored {
                        cb.run(());
                    }
                }
                Err(e) => this.set(id, |u| u.error = Some(e)),
            },
        );
        if let Err(e) = result {
            self.set(id, |u| u.error = Some(e));
        }
    }
}

#[cfg(feature = "browser")]
mod browser {
    use super::{api_message, ApiError};
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{FormData, ProgressEvent, XmlHttpRequest};

    /// A request in flight and the callbacks it holds, dropped together when it ends.
    pub struct Running {
        pub xhr: XmlHttpRequest,
        _progress: Closure<dyn FnMut(ProgressEvent)>,
        _done: Closure<dyn FnMut(ProgressEvent)>,
    }

    thread_local! {
        /// Every request in flight on the page, whichever list started it (a chat pane, the
        /// Drive, another chat's pane since closed).
        static RUNNING: RefCell<HashMap<u64, Running>> = RefCell::new(HashMap::new());
        static NEXT_ID: Cell<u64> = const { Cell::new(1) };
    }

    /// An id no other upload on the page has, so that one list never takes (cancels, or drops
    /// the callbacks of) another list's request.
    pub fn next_id() -> u64 {
        NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        })
    }

    pub fn take(id: u64) -> Option<Running> {
        RUNNING.with(|r| r.borrow_mut().remove(&id))
    }

    pub fn send(
        endpoint: &str,
        fields: &[(&'static str, String)],
        file: web_sys::File,
        id: u64,
        on_progress: impl Fn(u64) + 'static,
        on_done: impl Fn(Result<(), String>) + 'static,
    ) -> Result<(), String> {
        let failed = |_| "The upload could not start.".to_string();
        let form = FormData::new().map_err(failed)?;
        for (name, value) in fields {
            form.append_with_str(name, value).map_err(failed)?;
        }
        form.append_with_blob_and_filename("file", &file, &file.name())
            .map_err(failed)?;
        let xhr = XmlHttpRequest::new().map_err(failed)?;
        xhr.open("POST", endpoint).map_err(failed)?;
        xhr.set_request_header("Accept", "application/json")
            .map_err(failed)?;
        let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            if e.length_computable() {
                on_progress(e.loaded() as u64);
            }
        });
        xhr.upload()
            .map_err(failed)?
            .set_onprogress(Some(progress.as_ref().unchecked_ref()));
        let request = xhr.clone();
        let done = Closure::<dyn FnMut(ProgressEvent)>::new(move |_: ProgressEvent| {
            // Cancelled uploads were taken out already and say nothing.
            let Some(running) = take(id) else { return };
            // This very callback belongs to `running`: drop it only once it has returned.
            leptos::task::spawn_local(async move { drop(running) });
            let status = request.status().unwrap_or(0);
            if (200..300).contains(&status) {
                on_done(Ok(()));
                return;
            }
            let text = request.response_text().ok().flatten().unwrap_or_default();
            on_done(Err(match serde_json::from_str::<ApiError>(&text) {
                Ok(e) => api_message(&e),
                Err(_) if status == 0 => {
                    "The upload failed: the server could not be reached.".into()
                }
                Err(_) => format!("The upload failed (error {status})."),
            }));
        });
        xhr.set_onloadend(Some(done.as_ref().unchecked_ref()));
        xhr.send_with_opt_form_data(Some(&form)).map_err(failed)?;
        RUNNING.with(|r| {
            r.borrow_mut().insert(
                id,
                Running {
                    xhr,
                    _progress: progress,
                    _done: done,
                },
            )
        });
        Ok(())
    }
}

/// The `Attachment` button: the file picker for visitors; for staff a menu of `From computer`
/// and `From Drive`.
#[component]
pub fn AttachButton(
    uploads: Uploads,
    #[prop(into)] disabled: Signal<bool>,
    /// The button's words; `Attachment` beside a chat box.
    #[prop(optional)]
    label: Option<&'static str>,
) -> impl IntoView {
    let label = label.unwrap_or("Attachment");
    let input = NodeRef::<Input>::new();
    let open = RwSignal::new(false);
    let pick = move || {
        open.set(false);
        if let Some(input) = input.get_untracked() {
            input.click();
        }
    };
    let on_change = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "browser")]
        if let Some(el) = input.get_untracked() {
            uploads.add_list(el.files());
            // The same file may be picked again later.
            el.set_value("");
        }
    };
    let drive = uploads.from_drive;
    view! {
        <span class="attach">
            <input type="file" multiple class="sr-only" tabindex="-1" aria-hidden="true"
                node_ref=input on:change=on_change/>
            {match drive {
                None => view! {
                    <button type="button" class="attach-button" disabled=move || disabled.get()
                        on:click=move |_| pick()>{label}</button>
                }.into_any(),
                Some(drive) => view! {
                    <button type="button" class="attach-button" aria-haspopup="menu"
                        aria-expanded=move || open.get().to_string()
                        disabled=move || disabled.get()
                        on:click=move |_| open.update(|o| *o = !*o)>{label}</button>
                    <Show when=move || open.get()>
                        <div class="menu attach-menu" role="menu" aria-label="Attachment">
                            <button type="button" role="menuitem" on:click=move |_| pick()>"From computer"</button>
                            <button type="button" role="menuitem" on:click=move |_| {
                                open.set(false);
                                drive.run(());
                            }>"From Drive"</button>
                        </div>
                    </Show>
                }.into_any(),
            }}
        </span>
    }
}

/// The files on their way up, each with a progress bar and `Cancel`, or why it was refused.
#[component]
pub fn UploadList(uploads: Uploads) -> impl IntoView {
    view! {
        <ul class="uploads" aria-label="Uploads">
            <For
                each=move || uploads.items.get()
                key=|u| (u.id, u.error.clone())
                children=move |u| {
                    let id = u.id;
                    let name = u.name.clone();
                    let sent = move || {
                        uploads.items.with(|items| items.iter().find(|x| x.id == id).map_or(0, |x| x.sent))
                    };
                    view! {
                        <li class="upload" class:failed=u.error.is_some()>
                            <span class="name">{u.name.clone()}</span>
                            " "
                            <span class="size">{file_size(u.size)}</span>
                            {match u.error.clone() {
                                None => view! {
                                    <progress max=u.size.max(1).to_string()
                                        value=move || sent().to_string()
                                        aria-label=format!("Uploading {name}")></progress>
                                    <button type="button" class="link"
                                        aria-label=format!("Cancel {}", u.name)
                                        on:click=move |_| uploads.cancel(id)>"Cancel"</button>
                                }.into_any(),
                                Some(e) => view! {
                                    <span class="error" role="alert">{e}</span>
                                    <button type="button" class="link"
                                        on:click=move |_| uploads.dismiss(id)>"Dismiss"</button>
                                }.into_any(),
                            }}
                        </li>
                    }
                }
            />
        </ul>
    }
}
