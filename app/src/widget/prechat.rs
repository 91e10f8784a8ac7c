//! The pre-chat form: name, email, department, question. The same checks run on the server.
//! When nobody can pick up a chat for the chosen department, it says so and turns into
//! "Leave a message": submitting creates a ticket straight away and shows its number.
//!
//! This is what opens when a visitor clicks the loader, so it is a bundle of its own
//! (`frontend/prechat`) written against the DOM without Leptos: the framework alone weighs more
//! than the whole form. The conversation's bundle (`frontend/widget`) is fetched once the visitor
//! starts filling in the form and runs once the chat has started, or at once when this browser
//! already has a chat. A visitor who only looks, or leaves a message, never downloads it.

use crate::api::tickets::{CheckAvailability, LeaveMessage};
use crate::api::{ApiError, Departments, StartChat};
use crate::ticket::{self, Availability, TicketNumber};
use crate::validate::{self, FieldError, MAX_EMAIL_CHARS, MAX_NAME_CHARS, MAX_QUESTION_CHARS};
use gloo_timers::future::TimeoutFuture;
use leptos::server_fn::error::ServerFnErrorErr;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Document, Element};

/// Starts the conversation's bundle; its own start function replaces this page's content. If it
/// cannot load, says so where the visitor is looking: the form's error line, or the status line
/// shown to a visitor coming back to a chat.
const CHAT_SCRIPT: &str = "import('/widget-pkg/widget.js')\
    .then(m => m.default({ module_or_path: '/widget-pkg/widget_bg.wasm' }))\
    .catch(() => { const e = document.querySelector('.prechat .error, .chat-status'); \
    if (e) { e.hidden = false; e.textContent = 'Could not load the chat. Please reload the page.'; } });";

/// The form's fields: (element id, field name in errors, label).
const NAME: (&str, &str, &str) = ("pc-name", "name", "Name");
const EMAIL: (&str, &str, &str) = ("pc-email", "email", "Email");
const DEPARTMENT: (&str, &str, &str) = ("pc-department", "department", "Department");
const QUESTION: (&str, &str, &str) = ("pc-question", "question", "Question");

/// Renders the form into the page, or hands over to the conversation when this browser already
/// has a chat.
pub fn start() {
    let document = document();
    let main = el(&document, "main", &[("class", "widget")], "");
    let header = el(&document, "header", &[("class", "widget-header")], "");
    header
        .append_with_node_1(&el(&document, "h1", &[], "Chat with us"))
        .unwrap_throw();
    main.append_with_node_1(&header).unwrap_throw();
    body(&document).append_with_node_1(&main).unwrap_throw();
    if super::load().is_some() {
        let status = [("class", "chat-status"), ("role", "status")];
        main.append_with_node_1(&el(&document, "p", &status, "Connecting…"))
            .unwrap_throw();
        open_chat(&document);
        return;
    }
    let form = Form::build(&document, &main);
    form.wire();
    spawn_local(form.clone().fill_departments());
    spawn_local(form.watch_availability());
}

/// One labelled field: its wrapper (marked invalid), its control and its error line.
struct Field {
    name: &'static str,
    wrap: Element,
    control: Element,
    error: Element,
}

impl Field {
    fn build(
        document: &Document,
        (id, name, label): (&'static str, &'static str, &str),
        control: Element,
    ) -> Self {
        let wrap = el(document, "div", &[("class", "field")], "");
        let error_id = format!("{id}-error");
        wrap.append_with_node_1(&el(document, "label", &[("for", id)], label))
            .unwrap_throw();
        control.set_id(id);
        control
            .set_attribute("aria-describedby", &error_id)
            .unwrap_throw();
        wrap.append_with_node_1(&control).unwrap_throw();
        let error = el(
            document,
            "p",
            &[("class", "field-error"), ("id", &error_id)],
            "",
        );
        wrap.append_with_node_1(&error).unwrap_throw();
        let field = Field {
            name,
            wrap,
            control,
            error,
        };
        field.show(&[]);
        field
    }

    fn value(&self) -> String {
        js_sys::Reflect::get(&self.control, &"value".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    }

    fn show(&self, errors: &[FieldError]) {
        let message = errors
            .iter()
            .find(|e| e.field == self.name)
            .map(|e| e.message.as_str());
        self.error.set_text_content(message);
        let _ = self
            .wrap
            .class_list()
            .toggle_with_force("invalid", message.is_some());
        if self.control.tag_name() != "SELECT" {
            let invalid = if message.is_some() { "true" } else { "false" };
            self.control
                .set_attribute("aria-invalid", invalid)
                .unwrap_throw();
        }
    }
}

/// What the form holds between events.
struct Form {
    document: Document,
    form: Element,
    /// The intro, or the notice that nobody can chat: the first children of the form.
    lead: RefCell<Vec<Element>>,
    fields: [Field; 4],
    failure: Element,
    submit: Element,
    left: Element,
    thanks: Element,
    answer_by: Element,
    /// The loader passes the host page's address, which staff see with the chat.
    host: Option<String>,
    availability: Cell<Option<Availability>>,
    /// Each availability check bumps this; an older check's answer or timer no longer counts.
    generation: Cell<u64>,
    unavailable_streak: Cell<usize>,
}

impl Form {
    fn build(document: &Document, main: &Element) -> Rc<Self> {
        let d = document;
        let input = |kind: &str, autocomplete: &str, max: usize| {
            let attrs = [
                ("type", kind),
                ("autocomplete", autocomplete),
                ("maxlength", &max.to_string()),
            ];
            el(d, "input", &attrs, "")
        };
        let select = el(d, "select", &[], "");
        select
            .append_with_node_1(&el(d, "option", &[("value", "")], "Any department"))
            .unwrap_throw();
        let question = el(
            d,
            "textarea",
            &[
                ("rows", "3"),
                ("maxlength", &MAX_QUESTION_CHARS.to_string()),
            ],
            "",
        );
        let fields = [
            Field::build(d, NAME, input("text", "name", MAX_NAME_CHARS)),
            Field::build(d, EMAIL, input("email", "email", MAX_EMAIL_CHARS)),
            Field::build(d, DEPARTMENT, select),
            Field::build(d, QUESTION, question),
        ];
        // Shown once the departments are known, and only if there are any.
        fields[2].wrap.set_attribute("hidden", "").unwrap_throw();

        let left = el(
            d,
            "section",
            &[
                ("class", "prechat left-message"),
                ("role", "status"),
                ("aria-label", "Message sent"),
                ("hidden", ""),
            ],
            "",
        );
        let thanks = el(d, "p", &[("class", "thanks")], "");
        let answer_by = el(d, "p", &[], "");
        let start_over = el(
            d,
            "button",
            &[("type", "button"), ("class", "secondary")],
            "Start over",
        );
        for child in [&thanks, &answer_by, &start_over] {
            left.append_with_node_1(child).unwrap_throw();
        }
        main.append_with_node_1(&left).unwrap_throw();

        let form = el(d, "form", &[("class", "prechat"), ("novalidate", "")], "");
        for field in &fields {
            form.append_with_node_1(&field.wrap).unwrap_throw();
        }
        let failure = el(
            d,
            "p",
            &[("class", "error"), ("role", "alert"), ("hidden", "")],
            "",
        );
        let submit = el(d, "button", &[("type", "submit")], "Start chat");
        form.append_with_node_1(&failure).unwrap_throw();
        form.append_with_node_1(&submit).unwrap_throw();
        main.append_with_node_1(&form).unwrap_throw();

        let host = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .and_then(|q| web_sys::UrlSearchParams::new_with_str(&q).ok())
            .and_then(|q| q.get("host"));
        let this = Rc::new(Form {
            document: d.clone(),
            form,
            lead: RefCell::new(Vec::new()),
            fields,
            failure,
            submit,
            left,
            thanks,
            answer_by,
            host,
            availability: Cell::new(None),
            generation: Cell::new(0),
            unavailable_streak: Cell::new(0),
        });
        this.show_lead();
        let again = this.clone();
        on(&start_over, "click", move |_| again.start_over());
        this
    }

    fn wire(self: &Rc<Self>) {
        let this = self.clone();
        on(&self.form, "submit", move |ev| {
            ev.prevent_default();
            this.clone().submit();
        });
        // Someone who starts typing will most likely chat: fetch the conversation meanwhile.
        // Not for a message left while nobody is there, which needs no conversation.
        let this = self.clone();
        on(&self.form, "input", move |_| {
            if !this.leave() {
                prefetch_chat(&this.document);
            }
        });
        let this = self.clone();
        on(&self.fields[2].control, "change", move |_| {
            spawn_local(this.clone().watch_availability());
        });
    }

    fn department_id(&self) -> Option<i64> {
        self.fields[2].value().parse().ok()
    }

    /// Whether the form leaves a message instead of starting a chat.
    fn leave(&self) -> bool {
        matches!(
            self.availability.get(),
            Some(Availability::NobodyOnline | Availability::Busy)
        )
    }

    /// The intro, or the notice that nobody can chat, and the submit button's words.
    fn show_lead(&self) {
        let d = &self.document;
        let new: Vec<Element> = if self.leave() {
            let why = match self.availability.get() {
                Some(Availability::Busy) => {
                    "Sorry, all our staff are busy and the wait is long right now."
                }
                _ => "Sorry, nobody is available to chat right now.",
            };
            let notice = format!(
                "{why} Leave a message and we will answer by email; you will get a ticket number."
            );
            vec![
                el(d, "h2", &[("class", "leave-title")], "Leave a message"),
                el(
                    d,
                    "p",
                    &[("class", "unavailable"), ("role", "status")],
                    &notice,
                ),
            ]
        } else {
            let intro =
                "Tell us who you are and what you need; someone from our team will join you.";
            vec![el(d, "p", &[("class", "intro")], intro)]
        };
        let first = self.fields[0].wrap.clone();
        for old in self.lead.replace(Vec::new()) {
            old.remove();
        }
        for node in &new {
            self.form.insert_before(node, Some(&first)).unwrap_throw();
        }
        *self.lead.borrow_mut() = new;
        let _ = self
            .form
            .class_list()
            .toggle_with_force("leave-message", self.leave());
        let words = if self.leave() {
            "Leave a message"
        } else {
            "Start chat"
        };
        self.submit.set_text_content(Some(words));
    }

    async fn fill_departments(self: Rc<Self>) {
        let list = call(&Departments {}).await.unwrap_or_default();
        let select = &self.fields[2].control;
        for d in &list {
            let option = el(
                &self.document,
                "option",
                &[("value", &d.id.to_string())],
                &d.name,
            );
            select.append_with_node_1(&option).unwrap_throw();
        }
        if !list.is_empty() {
            self.fields[2]
                .wrap
                .remove_attribute("hidden")
                .unwrap_throw();
        }
    }

    /// Whether anyone can pick up a chat now, for the chosen department; asked again on a change
    /// and every little while, so the form follows staff coming and going. While nobody is
    /// there it asks again sooner at first (staff may be just connecting), then every 15 s.
    async fn watch_availability(self: Rc<Self>) {
        let mine = self.generation.get() + 1;
        self.generation.set(mine);
        let current = || self.generation.get() == mine && self.form.is_connected();
        loop {
            let department_id = self.department_id();
            let found = call(&CheckAvailability { department_id }).await.ok();
            // The department changed meanwhile, or the conversation has taken over.
            if !current() {
                return;
            }
            if found.is_some() && found != self.availability.get() {
                self.availability.set(found);
                self.show_lead();
            }
            let streak = if found == Some(Availability::Available) {
                0
            } else {
                self.unavailable_streak.get() + 1
            };
            self.unavailable_streak.set(streak);
            let wait_ms = match streak {
                0 => 15_000,
                1 => 1_500,
                2 => 3_000,
                3 => 5_000,
                _ => 15_000,
            };
            TimeoutFuture::new(wait_ms).await;
            if !current() {
                return;
            }
        }
    }

    fn show_errors(&self, errors: &[FieldError]) {
        for field in &self.fields {
            field.show(errors);
        }
    }

    fn show_failure(&self, message: Option<String>) {
        self.failure.set_text_content(message.as_deref());
        self.failure
            .toggle_attribute_with_force("hidden", message.is_none())
            .unwrap_throw();
    }

    /// Busy while a submission is on its way: the disabled button says so.
    fn busy(&self) -> bool {
        self.submit.has_attribute("disabled")
    }

    fn set_busy(&self, busy: bool) {
        self.submit
            .toggle_attribute_with_force("disabled", busy)
            .unwrap_throw();
    }

    fn submit(self: Rc<Self>) {
        if self.busy() {
            return;
        }
        let [name, email, _, question] = &self.fields;
        let found = validate::pre_chat(&name.value(), &email.value(), &question.value());
        self.show_errors(&found);
        self.show_failure(None);
        if !found.is_empty() {
            return;
        }
        self.set_busy(true);
        let (name, email, question) = (name.value(), email.value(), question.value());
        let department_id = self.department_id();
        let page_url = self.host.clone();
        spawn_local(async move {
            let failed = if self.leave() {
                let answer_by = email.trim().to_string();
                let left = LeaveMessage {
                    name,
                    email,
                    department_id,
                    question,
                    page_url,
                };
                match call(&left).await {
                    Ok(number) => {
                        self.show_left(number, &answer_by);
                        None
                    }
                    Err(e) => Some(e),
                }
            } else {
                let start = StartChat {
                    name,
                    email,
                    department_id,
                    question,
                    page_url,
                };
                match call(&start).await {
                    Ok(started) => {
                        // The button stays busy until the conversation replaces the form.
                        super::save(Some(&started));
                        open_chat(&self.document);
                        return;
                    }
                    Err(e) => Some(e),
                }
            };
            self.set_busy(false);
            match failed {
                Some(ApiError::Invalid(found)) => self.show_errors(&found),
                Some(other) => self.show_failure(Some(other.to_string())),
                None => {}
            }
        });
    }

    fn show_left(&self, number: TicketNumber, email: &str) {
        let thanks = format!("Thanks! Your ticket number is {}.", ticket::label(number));
        self.thanks.set_text_content(Some(&thanks));
        let answer_by = format!("We will answer by email at {email}.");
        self.answer_by.set_text_content(Some(&answer_by));
        self.left.remove_attribute("hidden").unwrap_throw();
        self.form.set_attribute("hidden", "").unwrap_throw();
    }

    fn start_over(&self) {
        js_sys::Reflect::set(&self.fields[3].control, &"value".into(), &"".into()).unwrap_throw();
        self.show_errors(&[]);
        self.show_failure(None);
        self.left.set_attribute("hidden", "").unwrap_throw();
        self.form.remove_attribute("hidden").unwrap_throw();
    }
}

/// Calls a server function (JSON in, JSON out) as its generated client would, with its own
/// arguments and path but without the client's code: a failure's body is the [`ApiError`] the
/// server function returned.
async fn call<F>(args: &F) -> Result<F::Output, ApiError>
where
    F: ServerFn + Serialize,
    F::Output: DeserializeOwned,
{
    let transport = |e: JsValue| {
        let message = e.as_string().unwrap_or_else(|| "the request failed".into());
        ApiError::Transport(ServerFnErrorErr::Request(message))
    };
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(transport)?;
    headers
        .set("content-type", "application/json")
        .map_err(transport)?;
    headers
        .set("accept", "application/json")
        .map_err(transport)?;
    init.set_headers(&headers);
    let body = serde_json::to_string(args).unwrap_or_default();
    init.set_body(&JsValue::from_str(&body));
    let window = web_sys::window().ok_or(ApiError::Internal)?;
    let fetched = window.fetch_with_str_and_init(F::PATH, &init);
    let response: web_sys::Response = JsFuture::from(fetched)
        .await
        .map_err(transport)?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(transport)?)
        .await
        .map_err(transport)?;
    let text = text.as_string().unwrap_or_default();
    if !response.ok() {
        return Err(serde_json::from_str(&text).unwrap_or(ApiError::Internal));
    }
    serde_json::from_str(&text)
        .map_err(|e| ApiError::Transport(ServerFnErrorErr::Deserialization(e.to_string())))
}

/// Asks the browser for the conversation's bundle ahead of time; once is enough.
fn prefetch_chat(document: &Document) {
    if document
        .query_selector("link[href='/widget-pkg/widget_bg.wasm']")
        .ok()
        .flatten()
        .is_some()
    {
        return;
    }
    let head = head(document);
    let script = [("rel", "modulepreload"), ("href", "/widget-pkg/widget.js")];
    head.append_with_node_1(&el(document, "link", &script, ""))
        .unwrap_throw();
    // `crossorigin`, so that the fetch the glue makes can use this download.
    let wasm = [
        ("rel", "preload"),
        ("href", "/widget-pkg/widget_bg.wasm"),
        ("as", "fetch"),
        ("type", "application/wasm"),
        ("crossorigin", ""),
    ];
    head.append_with_node_1(&el(document, "link", &wasm, ""))
        .unwrap_throw();
}

/// Runs the conversation's bundle.
fn open_chat(document: &Document) {
    prefetch_chat(document);
    let script = el(document, "script", &[("type", "module")], CHAT_SCRIPT);
    head(document).append_with_node_1(&script).unwrap_throw();
}

fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect_throw("a document")
}

fn body(document: &Document) -> Element {
    document.body().expect_throw("a body").into()
}

fn head(document: &Document) -> Element {
    document.head().expect_throw("a head").into()
}

/// An element with attributes and, unless empty, text.
fn el(document: &Document, tag: &str, attrs: &[(&str, &str)], text: &str) -> Element {
    let element = document.create_element(tag).unwrap_throw();
    for (name, value) in attrs {
        element.set_attribute(name, value).unwrap_throw();
    }
    if !text.is_empty() {
        element.set_text_content(Some(text));
    }
    element
}

/// Listens for an event for the page's lifetime.
fn on(target: &Element, event: &str, handler: impl FnMut(web_sys::Event) + 'static) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    target
        .add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())
        .unwrap_throw();
    closure.forget();
}
