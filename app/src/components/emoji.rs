//! The `Emojis` picker beside the chat box: a small curated set, by category, with a search.
//!
//! The list is kept short on purpose: it is compiled into the widget's bundle.

use leptos::prelude::*;

/// Categories in display order, each with `(emoji, name)` pairs; names are the Unicode (CLDR)
/// short names, in ASCII, which are also the buttons' accessible names.
pub const EMOJIS: &[(&str, &[(&str, &str)])] = &[
    (
        "Smileys",
        &[
            ("😀", "grinning face"),
            ("😃", "grinning face with big eyes"),
            ("😄", "grinning face with smiling eyes"),
            ("😁", "beaming face with smiling eyes"),
            ("😆", "grinning squinting face"),
            ("😅", "grinning face with sweat"),
            ("😂", "face with tears of joy"),
            ("🙂", "slightly smiling face"),
            ("😉", "winking face"),
            ("😊", "smiling face with smiling eyes"),
            ("😇", "smiling face with halo"),
            ("😍", "smiling face with heart-eyes"),
            ("😘", "face blowing a kiss"),
            ("😋", "face savoring food"),
            ("😜", "winking face with tongue"),
            ("🤗", "smiling face with open hands"),
            ("🤔", "thinking face"),
            ("🤨", "face with raised eyebrow"),
            ("😐", "neutral face"),
            ("😑", "expressionless face"),
            ("🙄", "face with rolling eyes"),
            ("😏", "smirking face"),
            ("😌", "relieved face"),
            ("😴", "sleeping face"),
            ("😎", "smiling face with sunglasses"),
            ("🤓", "nerd face"),
            ("😕", "confused face"),
            ("🙁", "slightly frowning face"),
            ("😮", "face with open mouth"),
            ("😲", "astonished face"),
            ("😳", "flushed face"),
            ("🥺", "pleading face"),
            ("😢", "crying face"),
            ("😭", "loudly crying face"),
            ("😱", "face screaming in fear"),
            ("😞", "disappointed face"),
            ("😓", "downcast face with sweat"),
            ("😩", "weary face"),
            ("😤", "face with steam from nose"),
            ("😠", "angry face"),
            ("🤯", "exploding head"),
            ("🥳", "partying face"),
            ("🤐", "zipper-mouth face"),
            ("🤒", "face with thermometer"),
        ],
    ),
    (
        "Gestures",
        &[
            ("👍", "thumbs up"),
            ("👎", "thumbs down"),
            ("👌", "OK hand"),
            ("✌️", "victory hand"),
            ("🤞", "crossed fingers"),
            ("👋", "waving hand"),
            ("👏", "clapping hands"),
            ("🙌", "raising hands"),
            ("🙏", "folded hands"),
            ("🤝", "handshake"),
            ("💪", "flexed biceps"),
            ("👉", "backhand index pointing right"),
            ("👈", "backhand index pointing left"),
            ("👆", "backhand index pointing up"),
            ("👇", "backhand index pointing down"),
            ("✋", "raised hand"),
            ("🤷", "person shrugging"),
            ("🤦", "person facepalming"),
            ("🙋", "person raising hand"),
            ("👀", "eyes"),
        ],
    ),
    (
        "Hearts and symbols",
        &[
            ("❤️", "red heart"),
            ("🧡", "orange heart"),
            ("💛", "yellow heart"),
            ("💚", "green heart"),
            ("💙", "blue heart"),
            ("💜", "purple heart"),
            ("💔", "broken heart"),
            ("💯", "hundred points"),
            ("✅", "check mark button"),
            ("❌", "cross mark"),
            ("❗", "red exclamation mark"),
            ("❓", "red question mark"),
            ("⚠️", "warning"),
            ("⭐", "star"),
            ("✨", "sparkles"),
            ("🔥", "fire"),
            ("💡", "light bulb"),
            ("🎉", "party popper"),
            ("🎁", "wrapped gift"),
            ("🏆", "trophy"),
        ],
    ),
    (
        "Objects",
        &[
            ("📦", "package"),
            ("🚚", "delivery truck"),
            ("🛒", "shopping cart"),
            ("💳", "credit card"),
            ("💰", "money bag"),
            ("🧾", "receipt"),
            ("📧", "e-mail"),
            ("📞", "telephone receiver"),
            ("📱", "mobile phone"),
            ("💻", "laptop"),
            ("🖨️", "printer"),
            ("🔒", "locked"),
            ("🔑", "key"),
            ("🔧", "wrench"),
            ("⚙️", "gear"),
            ("📎", "paperclip"),
            ("📝", "memo"),
            ("📅", "calendar"),
            ("⏰", "alarm clock"),
            ("⌛", "hourglass done"),
            ("🔍", "magnifying glass tilted left"),
            ("📌", "pushpin"),
        ],
    ),
    (
        "Food and nature",
        &[
            ("☕", "hot beverage"),
            ("🍵", "teacup without handle"),
            ("🍕", "pizza"),
            ("🍔", "hamburger"),
            ("🍰", "shortcake"),
            ("🍪", "cookie"),
            ("🍎", "red apple"),
            ("🍌", "banana"),
            ("🌞", "sun with face"),
            ("🌧️", "cloud with rain"),
            ("❄️", "snowflake"),
            ("🌈", "rainbow"),
            ("🌸", "cherry blossom"),
            ("🌻", "sunflower"),
            ("🌳", "deciduous tree"),
            ("🐶", "dog face"),
            ("🐱", "cat face"),
            ("🐢", "turtle"),
            ("🦄", "unicorn"),
            ("🐝", "honeybee"),
        ],
    ),
    (
        "Travel",
        &[
            ("🚗", "automobile"),
            ("🚲", "bicycle"),
            ("✈️", "airplane"),
            ("🚀", "rocket"),
            ("🏠", "house"),
            ("🏢", "office building"),
            ("🌍", "globe showing Europe-Africa"),
            ("🗺️", "world map"),
        ],
    ),
];

/// The categories with only the emojis whose name contains every word of `query`, ignoring case.
/// The names are ASCII, so folding ASCII letters is enough (and keeps Unicode's case tables out
/// of the widget's bundle).
pub fn search(query: &str) -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    EMOJIS
        .iter()
        .map(|(category, list)| {
            let found = list
                .iter()
                .filter(|(_, name)| {
                    let name = name.to_ascii_lowercase();
                    words.iter().all(|w| name.contains(w.as_str()))
                })
                .copied()
                .collect::<Vec<_>>();
            (*category, found)
        })
        .filter(|(_, found)| !found.is_empty())
        .collect()
}

/// The picker's popover: a search box, then each category under its heading. Picking one calls
/// `on_pick` and leaves closing to the owner.
#[component]
pub fn EmojiPicker(
    #[prop(into)] on_pick: Callback<&'static str>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let search_box = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = search_box.get() {
            let _ = el.focus();
        }
    });
    view! {
        <div class="emoji-picker" role="dialog" aria-label="Emojis"
            on:keydown=move |ev| if ev.key() == "Escape" {
                ev.prevent_default();
                on_close.run(());
            }>
            <label class="sr-only" for="emoji-search">"Search emojis"</label>
            <input id="emoji-search" type="search" placeholder="Search emojis" autocomplete="off"
                node_ref=search_box
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    // The picker sits in the message form: Enter picks the first match instead
                    // of sending the message.
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        let first = search(&query.get_untracked())
                            .first()
                            .and_then(|(_, list)| list.first().map(|(emoji, _)| *emoji));
                        if let Some(emoji) = first {
                            on_pick.run(emoji);
                        }
                    }
                }/>
            <div class="emoji-categories">
                {move || {
                    let found = search(&query.get());
                    if found.is_empty() {
                        return view! { <p class="empty">"No emoji found."</p> }.into_any();
                    }
                    found.into_iter().map(|(category, list)| view! {
                        <section class="emoji-category" aria-label=category>
                            <h3>{category}</h3>
                            <div class="emoji-grid">
                                {list.into_iter().map(|(emoji, name)| view! {
                                    <button type="button" class="emoji" aria-label=name title=name
                                        on:click=move |_| on_pick.run(emoji)>{emoji}</button>
                                }).collect_view()}
                            </div>
                        </section>
                    }).collect_view().into_any()
                }}
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_the_list_stays_small() {
        let all: Vec<&str> = EMOJIS
            .iter()
            .flat_map(|(_, l)| l.iter().map(|(_, n)| *n))
            .collect();
        let mut unique = all.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
        // `search` relies on this: it folds only ASCII letters.
        let not_ascii: Vec<&str> = all.iter().copied().filter(|n| !n.is_ascii()).collect();
        assert!(not_ascii.is_empty(), "{not_ascii:?}");
        assert!((100..=150).contains(&all.len()), "{} emojis", all.len());
    }

    #[test]
    fn search_matches_every_word() {
        let found = search("grinning EYES");
        let names: Vec<&str> = found
            .iter()
            .flat_map(|(_, l)| l.iter().map(|e| e.1))
            .collect();
        assert_eq!(
            names,
            [
                "grinning face with big eyes",
                "grinning face with smiling eyes"
            ]
        );
        assert_eq!(search("ok HAND")[0].1, [("👌", "OK hand")]);
        assert!(search("no such emoji").is_empty());
        assert_eq!(search("").len(), EMOJIS.len());
    }
}
