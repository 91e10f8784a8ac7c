//! The Drive: the helpdesk's shared file store. `/console/drive` is where staff upload, rename,
//! delete and browse files in folders; the picker offers its files for sharing into a chat
//! (`Attachment` → `From Drive`). Visitors have no Drive.

use crate::api::files::{self as api, drive_file_url};
use crate::components::attach::{api_message, AttachButton, UploadList, Uploads};
use crate::console::tickets::{when, StaffPage};
use crate::model::{file_size, ChatId, DriveFolder, DriveListing};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn DrivePage() -> impl IntoView {
    view! { <StaffPage title="Drive · Helpdesk" page=|_| view! { <Drive/> }.into_any()/> }
}

/// The folder being looked at and what is in it, reloaded on demand.
#[derive(Clone, Copy)]
struct Browser {
    folder: RwSignal<Option<i64>>,
    listing: RwSignal<Option<DriveListing>>,
    error: RwSignal<Option<String>>,
}

impl Browser {
    fn new() -> Self {
        let b = Browser {
            folder: RwSignal::new(None),
            listing: RwSignal::new(None),
            error: RwSignal::new(None),
        };
        Effect::new(move |_| {
            b.folder.track();
            b.reload();
        });
        b
    }

    fn reload(self) {
        let folder = self.folder.get_untracked();
        spawn_local(async move {
            match api::drive_list(folder).await {
                Ok(l) => {
                    self.listing.set(Some(l));
                    self.error.set(None);
                }
                Err(e) => self.error.set(Some(api_message(&e))),
            }
        });
    }

    /// Runs a change, then shows the folder as it is now (or why the change failed).
    fn change<T: 'static>(
        self,
        call: impl std::future::Future<Output = Result<T, crate::api::ApiError>> + 'static,
    ) {
        spawn_local(async move {
            match call.await {
                Ok(_) => self.reload(),
                Err(e) => self.error.set(Some(api_message(&e))),
            }
        });
    }
}

/// `Drive / Guides / Returns`: each step opens that folder.
#[component]
fn Crumbs(b: Browser) -> impl IntoView {
    view! {
        <nav class="crumbs" aria-label="Folder path">
            {move || {
                let Some(l) = b.listing.get() else { return ().into_any() };
                let here = l.folder.clone();
                view! {
                    {if here.is_some() {
                        view! { <button type="button" class="link" on:click=move |_| b.folder.set(None)>"Drive"</button> }.into_any()
                    } else {
                        view! { <span aria-current="page">"Drive"</span> }.into_any()
                    }}
                    {l.path.into_iter().map(|f: DriveFolder| view! {
                        " / "
                        <button type="button" class="link" on:click=move |_| b.folder.set(Some(f.id))>{f.name.clone()}</button>
                    }).collect_view()}
                    {here.map(|f| view! { " / " <span aria-current="page">{f.name}</span> })}
                }
                .into_any()
            }}
        </nav>
    }
}

#[component]
fn Drive() -> impl IntoView {
    let b = Browser::new();
    let uploads = Uploads::drive(None, Signal::stored(0), Callback::new(move |()| b.reload()));
    Effect::new(move |_| uploads.set_folder(b.folder.get()));
    let new_name = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get_untracked();
        new_name.set(String::new());
        b.change(api::drive_new_folder(b.folder.get_untracked(), name));
    };
    view! {
        <section class="drive">
            <div class="articles-head">
                <h1>"Drive"</h1>
                <AttachButton uploads disabled=Signal::stored(false) label="Upload files"/>
            </div>
            <Crumbs b/>
            <UploadList uploads/>
            <form class="drive-new-folder" on:submit=create>
                <label for="drive-folder-name">"Folder name"</label>
                <input id="drive-folder-name" required maxlength="100"
                    prop:value=move || new_name.get()
                    on:input=move |ev| new_name.set(event_target_value(&ev))/>
                <button type="submit">"New folder"</button>
            </form>
            {move || b.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || b.listing.get().map(|l| view! { <Entries b listing=l/> })}
        </section>
    }
}

/// One row's `Rename` and `Delete`; `rename` and `delete` call the server with the row's id.
#[component]
fn RowActions(name: String, rename: Callback<String>, delete: Callback<()>) -> impl IntoView {
    let editing = RwSignal::new(false);
    let value = RwSignal::new(name.clone());
    let label = format!("New name for {name}");
    view! {
        {move || if editing.get() {
            view! {
                <form class="inline" on:submit=move |ev| {
                    ev.prevent_default();
                    editing.set(false);
                    rename.run(value.get_untracked());
                }>
                    <input aria-label=label.clone() prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))/>
                    <button type="submit">"Save"</button>
                    <button type="button" class="link" on:click=move |_| editing.set(false)>"Cancel"</button>
                </form>
            }.into_any()
        } else {
            view! {
                <button type="button" class="link" aria-label=format!("Rename {name}")
                    on:click=move |_| editing.set(true)>"Rename"</button>
                <button type="button" class="link danger" aria-label=format!("Delete {name}")
                    on:click=move |_| delete.run(())>"Delete"</button>
            }.into_any()
        }}
    }
}

#[component]
fn Entries(b: Browser, listing: DriveListing) -> impl IntoView {
    if listing.folders.is_empty() && listing.files.is_empty() {
        return view! { <p class="empty">"This folder is empty."</p> }.into_any();
    }
    view! {
        <table class="ticket-table drive-table">
            <thead><tr><th>"Name"</th><th>"Size"</th><th>"Uploaded by"</th><th>"Changed"</th><th>"Actions"</th></tr></thead>
            <tbody>
                {listing.folders.into_iter().map(|f| {
                    let id = f.id;
                    view! {
                        <tr class="folder">
                            <td><button type="button" class="link" on:click=move |_| b.folder.set(Some(id))>
                                {format!("{}/", f.name)}</button></td>
                            <td>"—"</td><td></td><td></td>
                            <td><RowActions name=f.name.clone()
                                rename=Callback::new(move |n| b.change(api::drive_rename_folder(id, n)))
                                delete=Callback::new(move |()| b.change(api::drive_delete_folder(id)))/></td>
                        </tr>
                    }
                }).collect_view()}
                {listing.files.into_iter().map(|f| {
                    let id = f.id;
                    view! {
                        <tr class="file">
                            <td><a href=drive_file_url(id) download=f.name.clone()>{f.name.clone()}</a></td>
                            <td>{file_size(f.size)}</td>
                            <td>{f.uploaded_by.clone()}</td>
                            <td><time>{when(f.updated_at)}</time></td>
                            <td><RowActions name=f.name.clone()
                                rename=Callback::new(move |n| b.change(api::drive_rename_file(id, n)))
                                delete=Callback::new(move |()| b.change(api::drive_delete_file(id)))/></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// `From Drive` in a chat: browse the Drive and pick a file to share with everyone in the chat.
#[component]
pub fn DrivePicker(chat_id: ChatId, on_close: Callback<()>) -> impl IntoView {
    let b = Browser::new();
    let busy = RwSignal::new(false);
    let share = move |file_id: i64| {
        busy.set(true);
        spawn_local(async move {
            match api::share_drive_file(chat_id, file_id).await {
                Ok(_) => on_close.run(()),
                Err(e) => b.error.set(Some(api_message(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="backdrop">
        <div class="dialog drive-picker" role="dialog" aria-modal="true" aria-label="From Drive">
            <h2>"Share a file from the Drive"</h2>
            <Crumbs b/>
            {move || b.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || b.listing.get().map(|l| {
                if l.folders.is_empty() && l.files.is_empty() {
                    return view! { <p class="empty">"This folder is empty."</p> }.into_any();
                }
                view! {
                    <ul class="drive-picks">
                        {l.folders.into_iter().map(|f| view! {
                            <li><button type="button" class="link" on:click=move |_| b.folder.set(Some(f.id))>
                                {format!("{}/", f.name)}</button></li>
                        }).collect_view()}
                        {l.files.into_iter().map(|f| {
                            let id = f.id;
                            view! {
                                <li>
                                    <button type="button" disabled=move || busy.get()
                                        aria-label=format!("Share {}", f.name)
                                        on:click=move |_| share(id)>{f.name.clone()}</button>
                                    " " <span class="file-meta">{file_size(f.size)}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            })}
            <div class="actions">
                <button type="button" on:click=move |_| on_close.run(())>"Close"</button>
            </div>
        </div>
        </div>
    }
}
