//! The service's side of several nodes (see [`crate::server::cluster`]): it tells the other
//! nodes what it stored, hears what they stored, says it is alive and notices nodes that are not.

use super::{Service, ServiceError};
use crate::rules::{Millis, StaffId};
use crate::server::cluster::{Envelope, Heard, Hint};
use crate::server::hub::Change;
use crate::server::now_ms;
use tokio::sync::mpsc;

impl Service {
    /// Publishes a stored change here and hints it to the other nodes; `requeue` when it may
    /// move the queue (anything but a message or a file).
    pub(super) fn publish(&self, change: Change, requeue: bool) {
        self.cluster
            .publish(&self.hub, self.store.as_ref(), change, requeue);
    }

    pub(super) fn tell(&self, hint: Hint) {
        self.cluster.tell(self.store.as_ref(), hint);
    }

    fn timeout_ms(&self) -> Millis {
        self.liveness.timeout.as_millis() as Millis
    }

    /// Staff with a console open on this node, or closed less than the grace period ago.
    fn present_here(&self) -> Vec<StaffId> {
        let p = self.presence.lock().expect("presence lock poisoned");
        p.sockets.keys().chain(p.leaving.keys()).copied().collect()
    }

    /// Staff present on another live node.
    pub(super) async fn present_elsewhere(&self) -> Result<Vec<StaffId>, ServiceError> {
        Ok(self
            .store
            .present_elsewhere(self.cluster.node, now_ms(), self.timeout_ms())
            .await?)
    }

    /// Says this node is alive, with who is present on it now; forgets nodes silent for too
    /// long. When the live nodes changed, every node reloads presence and the queue moves:
    /// the forgotten nodes' staff go offline, or this node's come back after it was forgotten
    /// (nothing else would tell the others).
    ///
    /// One at a time, with presence read once the previous one is stored: two beats in flight
    /// could otherwise store an older presence over a newer one, unnoticed by the other nodes.
    pub async fn heartbeat(&self) -> Result<(), ServiceError> {
        let changed = {
            let _one = self.beating.lock().await;
            self.store
                .heartbeat(
                    self.cluster.node,
                    &self.present_here(),
                    now_ms(),
                    self.timeout_ms(),
                )
                .await?
        };
        if changed {
            self.refresh_directory().await?;
            self.dispatch().await?;
        }
        Ok(())
    }

    /// The hints of other nodes, once: whoever runs the node hears them (see [`Service::hear`]).
    pub fn take_heard(&self) -> Option<mpsc::UnboundedReceiver<Heard>> {
        self.heard.lock().expect("heard lock poisoned").take()
    }

    /// Starts hearing other nodes; before anything is read at start-up, so that whatever is
    /// stored later is either read then or heard.
    pub(super) async fn join_cluster(&self) -> Result<(), ServiceError> {
        *self.heard.lock().expect("heard lock poisoned") = self.store.listen().await?;
        self.store
            .heartbeat(self.cluster.node, &[], now_ms(), self.timeout_ms())
            .await?;
        Ok(())
    }

    /// A clean stop: this node's staff go offline on the other nodes at once. After any
    /// heartbeat in flight, which would otherwise store this node again.
    pub async fn leave_cluster(&self) {
        let _one = self.beating.lock().await;
        let farewell = Envelope {
            node: self.cluster.node,
            n: u64::MAX,
            hint: Hint::Directory,
        };
        if let Err(e) = self.store.leave(self.cluster.node, farewell).await {
            tracing::warn!("leaving the other nodes: {e}");
        }
    }

    /// Acts on what another node stored: re-reads it and fans it out to this node's sockets.
    pub async fn hear(&self, heard: Heard) -> Result<(), ServiceError> {
        let envelope = match heard {
            Heard::Lost => return self.resync().await,
            Heard::Hint(envelope) if envelope.node == self.cluster.node => return Ok(()),
            Heard::Hint(envelope) => envelope,
        };
        match envelope.hint {
            Hint::Chat {
                chat,
                seqs,
                only_for,
                requeue,
            } => {
                if let Some(summary) = self.store.chat(chat).await? {
                    let events = match seqs {
                        Some((first, last)) => {
                            let mut events = self.store.events_after(chat, first - 1, true).await?;
                            events.retain(|e| e.seq <= last);
                            events
                        }
                        None => Vec::new(),
                    };
                    self.hub.publish(Change {
                        events,
                        chat: summary,
                        only_for,
                    });
                }
                if requeue {
                    self.dispatch().await?;
                }
            }
            Hint::Typing {
                chat,
                staff,
                typing,
            } => {
                let name = match staff {
                    Some(id) => self.directory().staff(id).map(|s| s.name.clone()),
                    None => self.store.chat(chat).await?.map(|c| c.visitor.name),
                };
                if let Some(name) = name {
                    self.hub.typing(chat, name, staff, typing);
                }
            }
            Hint::Directory => {
                self.load_directory().await?;
                self.dispatch().await?;
            }
            Hint::Settings => self.hub.set_settings(self.store.chat_settings().await?),
        }
        Ok(())
    }

    /// After hints may have been missed: settings, directory and queue afresh, and every socket
    /// re-reads what it shows from storage.
    pub async fn resync(&self) -> Result<(), ServiceError> {
        self.hub.set_settings(self.store.chat_settings().await?);
        self.load_directory().await?;
        self.dispatch().await?;
        self.hub.resync();
        Ok(())
    }
}
