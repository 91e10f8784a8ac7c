//! Group commit for chat messages. One writer task per service takes every message queued
//! while the previous batch was being stored and hands them to [`Store::apply_batch`] at once
//! (many chats, one transaction where the backend can), then publishes what was stored (here and to the
//! other nodes) and answers each sender. Nothing waits on purpose: under light load a batch is one message;
//! under heavy load the batches grow by themselves, and so does throughput.
//!
//! The writer holds no lock and no transaction across a network await: it only talks to the
//! store and the in-process hub. Publishing from the writer keeps each chat's changes in
//! sequence order on the hub, so sockets rarely need to re-read from storage.

use super::ServiceError;
use crate::model::ChatId;
use crate::rules::{self, Actor, ChatState, Command, Millis};
use crate::server::cluster::Cluster;
use crate::server::hub::{Change, Hub};
use crate::server::store::{Batched, Store};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

/// Most commands in one transaction: enough to amortise a commit, small enough that the first
/// sender of a batch does not wait long for the last.
const MAX_BATCH: usize = 256;

/// The stored message's sequence number (an earlier one for a retried client id).
pub(super) type Stored = Result<i64, ServiceError>;

pub(super) struct Job {
    pub chat: ChatId,
    pub now: Millis,
    pub client_id: String,
    pub actor: Actor,
    pub command: Command,
    pub reply: oneshot::Sender<Stored>,
}

/// The queue into the writer task, which is started on first use (inside the runtime).
#[derive(Default)]
pub(super) struct Writer {
    queue: OnceLock<mpsc::UnboundedSender<Job>>,
}

impl Writer {
    /// Queues the job; jobs queued one after another are stored in that order.
    pub(super) fn submit(
        &self,
        store: &Arc<dyn Store>,
        hub: &Arc<Hub>,
        cluster: &Arc<Cluster>,
        job: Job,
    ) {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(store.clone(), hub.clone(), cluster.clone(), rx));
            tx
        });
        if let Err(mpsc::error::SendError(job)) = queue.send(job) {
            let _ = job.reply.send(Err(ServiceError::Internal(
                "the message writer stopped".into(),
            )));
        }
    }
}

async fn run(
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    cluster: Arc<Cluster>,
    mut rx: mpsc::UnboundedReceiver<Job>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let results = {
            let decides: Vec<_> = jobs
                .iter()
                .map(|j| move |s: &ChatState| rules::decide(s, &j.actor, &j.command, j.now))
                .collect();
            let batch: Vec<Batched> = jobs
                .iter()
                .zip(&decides)
                .map(|(j, decide)| Batched {
                    chat: j.chat,
                    now: j.now,
                    client_id: Some(&j.client_id),
                    decide,
                })
                .collect();
            store.apply_batch(&batch).await
        };
        for (job, result) in jobs.drain(..).zip(results) {
            let stored = match result {
                Ok(applied) => match (applied.duplicate_of, applied.events.first()) {
                    (Some(seq), _) => Ok(seq),
                    (None, Some(event)) => {
                        let seq = event.seq;
                        let change = Change {
                            events: applied.events,
                            chat: applied.chat,
                            only_for: None,
                        };
                        cluster.publish(&hub, store.as_ref(), change, false);
                        Ok(seq)
                    }
                    (None, None) => {
                        Err(ServiceError::Internal("a message produced no event".into()))
                    }
                },
                Err(e) => Err(e.into()),
            };
            // The sender may have gone (its socket closed): the message is stored all the same.
            let _ = job.reply.send(stored);
        }
    }
}
