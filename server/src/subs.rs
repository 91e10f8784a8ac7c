//! The chats one socket follows, read as one stream. `StreamMap` polls every member on each
//! wake-up of the socket, so a staff socket following 500 chats polled 500 channels for every
//! frame it sent or received; here only the channels that woke it are polled.

use app::model::ChatId;
use app::server::hub::Signal;
use futures::stream::{AbortHandle, Abortable, BoxStream, SelectAll, Stream, StreamExt};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

pub type Item = (ChatId, Result<Arc<Signal>, BroadcastStreamRecvError>);

#[derive(Default)]
pub struct Subscriptions {
    streams: SelectAll<Abortable<BoxStream<'static, Item>>>,
    handles: HashMap<ChatId, AbortHandle>,
}

impl Subscriptions {
    /// Follows `chat` through `rx`, in place of any earlier receiver for it.
    pub fn insert(&mut self, chat: ChatId, rx: broadcast::Receiver<Arc<Signal>>) {
        self.remove(chat);
        let (handle, registration) = AbortHandle::new_pair();
        let stream = BroadcastStream::new(rx)
            .map(move |item| (chat, item))
            .boxed();
        self.streams.push(Abortable::new(stream, registration));
        self.handles.insert(chat, handle);
    }

    /// Stops following `chat`. Its stream ends, and lets go of its channel, when next polled.
    pub fn remove(&mut self, chat: ChatId) {
        if let Some(handle) = self.handles.remove(&chat) {
            handle.abort();
        }
    }

    /// True once every stream, removed ones included, has ended.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }
}

impl Stream for Subscriptions {
    type Item = Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        self.streams.poll_next_unpin(cx)
    }
}
