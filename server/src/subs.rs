//! The chats one socket follows, read as one stream. `StreamMap` polls every member on each
//! wake-up of the socket, so a staff socket following 500 chats polled 500 channels for every
//! frame it sent or received; here only the channels that woke it are polled.
//!
//! The first chat is kept apart and polled directly: most sockets are visitors', which follow
//! only their own chat, and the bookkeeping of the others (~0.4 KiB) would be most of what a
//! subscription costs such a socket.

use app::model::ChatId;
use app::server::hub::Signal;
use futures::stream::{AbortHandle, Abortable, SelectAll, Stream, StreamExt};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

pub type Item = (ChatId, Result<Arc<Signal>, BroadcastStreamRecvError>);

/// One chat's channel, its items tagged with the chat.
struct Tagged {
    chat: ChatId,
    stream: BroadcastStream<Arc<Signal>>,
}

impl Stream for Tagged {
    type Item = Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let chat = self.chat;
        self.stream
            .poll_next_unpin(cx)
            .map(|item| item.map(|item| (chat, item)))
    }
}

#[derive(Default)]
struct Others {
    streams: SelectAll<Abortable<Tagged>>,
    handles: Vec<(ChatId, AbortHandle)>,
}

#[derive(Default)]
pub struct Subscriptions {
    first: Option<Tagged>,
    /// Made on the second chat followed at once.
    others: Option<Others>,
}

impl Subscriptions {
    /// Follows `chat` through `rx`, in place of any earlier receiver for it.
    pub fn insert(&mut self, chat: ChatId, rx: broadcast::Receiver<Arc<Signal>>) {
        self.remove(chat);
        let tagged = Tagged {
            chat,
            stream: BroadcastStream::new(rx),
        };
        if self.first.is_none() {
            self.first = Some(tagged);
            return;
        }
        let others = self.others.get_or_insert_with(Others::default);
        let (handle, registration) = AbortHandle::new_pair();
        others.streams.push(Abortable::new(tagged, registration));
        others.handles.push((chat, handle));
    }

    /// Stops following `chat`. Its stream ends, and lets go of its channel, when next polled.
    pub fn remove(&mut self, chat: ChatId) {
        if self.first.as_ref().is_some_and(|t| t.chat == chat) {
            self.first = None;
        } else if let Some(others) = &mut self.others {
            if let Some(i) = others.handles.iter().position(|(c, _)| *c == chat) {
                others.handles.swap_remove(i).1.abort();
            }
        }
    }

    /// True once every stream, removed ones included, has ended.
    pub fn is_empty(&self) -> bool {
        self.first.is_none() && self.others.as_ref().is_none_or(|o| o.streams.is_empty())
    }
}

impl Stream for Subscriptions {
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let this = self.get_mut();
        if let Some(first) = &mut this.first {
            match first.poll_next_unpin(cx) {
                Poll::Ready(Some(item)) => return Poll::Ready(Some(item)),
                // A channel whose sender is gone has nothing more to say.
                Poll::Ready(None) => this.first = None,
                Poll::Pending => {}
            }
        }
        let others = match &mut this.others {
            Some(others) if !others.streams.is_empty() => others.streams.poll_next_unpin(cx),
            _ => Poll::Ready(None),
        };
        match others {
            // The first chat is still followed: it has registered this task for its next item.
            Poll::Ready(None) if this.first.is_some() => Poll::Pending,
            polled => polled,
        }
    }
}
