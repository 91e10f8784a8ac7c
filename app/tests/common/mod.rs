//! A fresh PostgreSQL database per test, so the storage suites run against PostgreSQL as they
//! do against SQLite. `scripts/test.sh` starts the server and sets `TEST_DATABASE_URL`.

use std::sync::atomic::{AtomicU32, Ordering};

/// A database that exists for one test; `drop_now` removes it once the test has passed.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://helpdesk:helpdesk@127.0.0.1:5432/postgres".to_string())
}

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin_url = admin_url();
        let name = format!(
            "helpdesk_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = connect(&admin_url).await;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        PgDatabase {
            admin_url,
            name,
            url,
        }
    }

    /// Removes the database, best effort: a backend PostgreSQL itself runs there (autovacuum)
    /// can refuse it for a moment, and `scripts/test.sh` drops what is left at the next run.
    pub async fn drop_now(self) {
        let mut admin = connect(&self.admin_url).await;
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        for _ in 0..5 {
            if sqlx::query(&sql).execute(&mut admin).await.is_ok() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

async fn connect(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url).await.unwrap_or_else(|e| {
        panic!(
            "cannot reach PostgreSQL at TEST_DATABASE_URL ({e}); scripts/test.sh starts it and \
             sets the variable"
        )
    })
}
