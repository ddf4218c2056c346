//! `SeaOrmBlogRepository` on SQLite, PostgreSQL and MariaDB (`QBLOG_TEST_*_URL`).
//!
//! Keywords are literal substrings on all three: `%`, `_` and `\` match themselves,
//! case is folded the same way everywhere (Unicode, by qblog), entities and tags do
//! not get in the way, and SQL in a keyword is only ever data.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use qblog_domain::blog::{
    BlogChanges, BlogContent, BlogQuery, BlogRepository, BlogTitle, Keyword, NewBlog,
};
use qblog_domain::paging::Page;
use qblog_domain::text::escape_html;
use qblog_domain::user::{NewUser, PasswordHash, Realname, User, UserRepository, Username};
use qblog_infrastructure::blog::SeaOrmBlogRepository;
use qblog_infrastructure::database::{self, DatabaseOptions, MigrationStep, SeaOrmPool};
use qblog_infrastructure::testing::{MYSQL_URL_VAR, POSTGRES_URL_VAR, TestDatabase, matrix_url};
use qblog_infrastructure::user::SeaOrmUserRepository;

/// Generous: the MariaDB test of a 100,000-character body takes a while on CI.
const QUERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

struct Fixture {
    blogs: SeaOrmBlogRepository,
    users: SeaOrmUserRepository,
    _database: TestDatabase,
}

async fn connect(database: &TestDatabase) -> sea_orm::DatabaseConnection {
    database::connect(&DatabaseOptions {
        url: database.url.clone(),
        max_connections: 3,
        connect_timeout: std::time::Duration::from_secs(5),
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .await
    .expect("connected")
}

async fn fixture(database: TestDatabase) -> Fixture {
    let connection = connect(&database).await;
    database::run_migrations(&connection, MigrationStep::Up)
        .await
        .expect("migrated");
    let pool = Arc::new(SeaOrmPool::new(connection, QUERY_TIMEOUT));
    Fixture {
        blogs: SeaOrmBlogRepository::new(pool.clone()),
        users: SeaOrmUserRepository::new(pool),
        _database: database,
    }
}

async fn on_server(var: &str) -> Option<Fixture> {
    let url = matrix_url(var)?;
    let database = TestDatabase::on_server(&url)
        .await
        .unwrap_or_else(|err| panic!("{var} does not answer: {err}"));
    Some(fixture(database).await)
}

macro_rules! every_database {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let fixture = super::fixture(super::TestDatabase::sqlite()).await;
                super::$name(&fixture).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(fixture) = super::on_server(super::POSTGRES_URL_VAR).await {
                    super::$name(&fixture).await;
                }
            }

            #[tokio::test]
            async fn mariadb() {
                if let Some(fixture) = super::on_server(super::MYSQL_URL_VAR).await {
                    super::$name(&fixture).await;
                }
            }
        }
    };
}

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, minute, 0).unwrap()
}

async fn user(fixture: &Fixture, name: &str) -> User {
    fixture
        .users
        .create(NewUser {
            username: Username::parse(name).expect("valid"),
            realname: Realname::parse(name).expect("valid"),
            password_hash: PasswordHash::new("$argon2id$stand-in".into()),
            created_at: at(0),
        })
        .await
        .expect("user created")
}

/// Stands in for the sanitiser on content that is already clean HTML.
fn clean(html: &str) -> String {
    html.to_owned()
}

/// Writes a blog; `title` is plain text, `content` already sanitised HTML.
async fn write(fixture: &Fixture, author: &User, title: &str, content: &str, minute: u32) {
    fixture
        .blogs
        .create(NewBlog {
            title: BlogTitle::parse(title, escape_html).expect("valid"),
            content: BlogContent::parse(content, clean).expect("valid"),
            author_id: author.id,
            author: author.username.clone(),
            created_at: at(minute),
        })
        .await
        .expect("blog created");
}

async fn titles_matching(fixture: &Fixture, keyword: &str) -> Vec<String> {
    let page = fixture
        .blogs
        .list(&BlogQuery {
            author_id: None,
            keyword: Keyword::parse(keyword).expect("valid"),
            page: Page::default(),
        })
        .await
        .expect("listed");
    assert_eq!(page.total as usize, page.items.len());
    page.items
        .iter()
        .map(|b| b.title.as_str().to_owned())
        .collect()
}

every_database!(keywords_are_literal_substrings_ignoring_case);
async fn keywords_are_literal_substrings_ignoring_case(fixture: &Fixture) {
    let alice = user(fixture, "alice").await;
    write(fixture, &alice, "100% sure", "plain", 1).await;
    write(fixture, &alice, "snake_case names", "plain", 2).await;
    write(fixture, &alice, "a backslash", r"C:\path\here", 3).await;
    write(
        fixture,
        &alice,
        "Nothing special",
        "it costs 100 dollars",
        4,
    )
    .await;
    write(fixture, &alice, "Exclaim!", "wow", 5).await;

    assert_eq!(titles_matching(fixture, "%").await, vec!["100% sure"]);
    assert_eq!(
        titles_matching(fixture, "_").await,
        vec!["snake_case names"]
    );
    assert_eq!(
        titles_matching(fixture, r"\path").await,
        vec!["a backslash"]
    );
    assert_eq!(titles_matching(fixture, "!").await, vec!["Exclaim!"]);
    assert_eq!(
        titles_matching(fixture, "100").await,
        vec!["Nothing special", "100% sure"]
    );
    assert_eq!(
        titles_matching(fixture, "NOTHING").await,
        vec!["Nothing special"]
    );
    assert_eq!(
        titles_matching(fixture, "e_c").await,
        vec!["snake_case names"]
    );
    assert!(titles_matching(fixture, "1_0").await.is_empty());
}

every_database!(non_ascii_case_and_escaped_text_match_as_typed);
async fn non_ascii_case_and_escaped_text_match_as_typed(fixture: &Fixture) {
    let alice = user(fixture, "alice").await;
    write(fixture, &alice, "Éclair ÄÖÜ Straße", "x", 1).await;
    write(fixture, &alice, "Tom & Jerry", "x", 2).await;
    write(
        fixture,
        &alice,
        "Dessert",
        "<p>Crème <b>brûlée</b> &amp;&nbsp;more</p>",
        3,
    )
    .await;
    for keyword in ["Éclair", "éclair", "ÉCLAIR", "ÄÖÜ", "äöü", "straße"] {
        assert_eq!(
            titles_matching(fixture, keyword).await,
            vec!["Éclair ÄÖÜ Straße"],
            "{keyword}"
        );
    }
    assert_eq!(
        titles_matching(fixture, "Tom & Jerry").await,
        vec!["Tom &amp; Jerry"]
    );
    for keyword in ["CRÈME brûlée", "& more", "brûlée &"] {
        assert_eq!(
            titles_matching(fixture, keyword).await,
            vec!["Dessert"],
            "{keyword}"
        );
    }
    for keyword in ["eclair", "amp;", "<b>", "nbsp"] {
        assert!(
            titles_matching(fixture, keyword).await.is_empty(),
            "{keyword} matched"
        );
    }
}

every_database!(sql_in_a_keyword_is_only_data);
async fn sql_in_a_keyword_is_only_data(fixture: &Fixture) {
    let alice = user(fixture, "alice").await;
    write(fixture, &alice, "first", "one", 1).await;
    write(fixture, &alice, "second", "two", 2).await;
    for attack in [
        "' OR '1'='1",
        "'; DROP TABLE blogs; --",
        "\" OR \"\"=\"",
        "%' OR 1=1 --",
        "') UNION SELECT * FROM users --",
    ] {
        assert!(
            titles_matching(fixture, attack).await.is_empty(),
            "{attack}"
        );
    }
    assert_eq!(
        titles_matching(fixture, "").await.len(),
        2,
        "the table is intact"
    );
}

every_database!(listing_is_newest_first_paged_and_filtered_by_author);
async fn listing_is_newest_first_paged_and_filtered_by_author(fixture: &Fixture) {
    let alice = user(fixture, "alice").await;
    let bob = user(fixture, "bob").await;
    for minute in 1..=5 {
        write(fixture, &alice, &format!("alice {minute}"), "x", minute).await;
    }
    write(fixture, &bob, "bob 6", "x", 6).await;
    let page = fixture
        .blogs
        .list(&BlogQuery {
            author_id: Some(alice.id),
            keyword: None,
            page: Page::new(2, 2).expect("valid"),
        })
        .await
        .expect("listed");
    assert_eq!(page.total, 5);
    let titles: Vec<_> = page.items.iter().map(|b| b.title.as_str()).collect();
    assert_eq!(titles, vec!["alice 3", "alice 2"]);

    // Past the last page there is no row to carry the total; it is still counted.
    let past_the_end = fixture
        .blogs
        .list(&BlogQuery {
            author_id: Some(alice.id),
            keyword: None,
            page: Page::new(4, 2).expect("valid"),
        })
        .await
        .expect("listed");
    assert!(past_the_end.items.is_empty());
    assert_eq!(past_the_end.total, 5);
}

every_database!(soft_deleted_blogs_vanish_until_restored);
async fn soft_deleted_blogs_vanish_until_restored(fixture: &Fixture) {
    let alice = user(fixture, "alice").await;
    write(fixture, &alice, "gone soon", "x", 1).await;
    let id = fixture
        .blogs
        .list(&BlogQuery::default())
        .await
        .expect("listed")
        .items[0]
        .id;

    assert!(fixture.blogs.exists(id).await.expect("answered"));
    assert!(
        fixture
            .blogs
            .soft_delete(id, at(2))
            .await
            .expect("answered")
    );
    assert!(
        !fixture.blogs.exists(id).await.expect("answered"),
        "a deleted blog is not there for others to belong to"
    );
    assert!(
        !fixture
            .blogs
            .soft_delete(id, at(3))
            .await
            .expect("answered"),
        "already deleted"
    );
    assert_eq!(fixture.blogs.find(id).await.expect("answered"), None);
    assert_eq!(
        fixture
            .blogs
            .list(&BlogQuery::default())
            .await
            .expect("listed")
            .total,
        0
    );
    let changes = BlogChanges {
        title: BlogTitle::parse("edited", escape_html).expect("valid"),
        content: BlogContent::parse("y", clean).expect("valid"),
        updated_at: at(4),
    };
    assert_eq!(
        fixture
            .blogs
            .update(id, changes.clone())
            .await
            .expect("answered"),
        None
    );

    assert!(fixture.blogs.restore(id, at(5)).await.expect("answered"));
    assert!(
        !fixture.blogs.restore(id, at(6)).await.expect("answered"),
        "already live"
    );
    let edited = fixture
        .blogs
        .update(id, changes)
        .await
        .expect("answered")
        .expect("live");
    assert_eq!(edited.title.as_str(), "edited");
    assert_eq!(edited.updated_at, at(4));
    assert_eq!(edited.created_at, at(1));
}

every_database!(a_long_body_round_trips);
async fn a_long_body_round_trips(fixture: &Fixture) {
    let alice = user(fixture, "alice").await;
    let body = "é".repeat(BlogContent::MAX_CHARS);
    write(fixture, &alice, "long", &body, 1).await;
    let page = fixture
        .blogs
        .list(&BlogQuery::default())
        .await
        .expect("listed");
    assert_eq!(page.items[0].content.as_str(), body);
}

every_database!(usernames_are_unique_whatever_their_case);
async fn usernames_are_unique_whatever_their_case(fixture: &Fixture) {
    user(fixture, "Zed").await;
    let again = fixture
        .users
        .create(NewUser {
            username: Username::parse("zED").expect("valid"),
            realname: Realname::parse("Z").expect("valid"),
            password_hash: PasswordHash::new("$argon2id$x".into()),
            created_at: at(0),
        })
        .await;
    assert!(matches!(
        again,
        Err(qblog_domain::user::UserError::UsernameTaken)
    ));
    let found = fixture
        .users
        .find_with_hash(&Username::parse("ZED").expect("valid"))
        .await
        .expect("answered");
    assert_eq!(
        found.map(|(u, _)| u.username.as_str().to_owned()),
        Some("Zed".to_owned())
    );
}

/// Blogs written before `search_text` existed are found once the migration ran.
async fn blogs_from_before_the_search_column_are_found(database: TestDatabase) {
    use qblog_migrations::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Query};

    let connection = connect(&database).await;
    Migrator::up(&connection, Some(2))
        .await
        .expect("the first two migrations");
    let insert = |table: &str, columns: &[&str], values: Vec<sea_orm::Value>| {
        Query::insert()
            .into_table(Alias::new(table))
            .columns(columns.iter().map(|c| Alias::new(*c)))
            .values_panic(values.into_iter().map(Into::into))
            .to_owned()
    };
    connection
        .execute(&insert(
            "users",
            &[
                "id",
                "username",
                "username_key",
                "password_hash",
                "realname",
                "created_at",
                "updated_at",
            ],
            vec![
                1i64.into(),
                "alice".into(),
                "alice".into(),
                "$argon2id$x".into(),
                "Alice".into(),
                0i64.into(),
                0i64.into(),
            ],
        ))
        .await
        .expect("an old user");
    connection
        .execute(&insert(
            "blogs",
            &[
                "title",
                "content",
                "author_id",
                "author",
                "state",
                "created_at",
                "updated_at",
            ],
            vec![
                "Tom &amp; Jerry".into(),
                "<p>Grüße</p>".into(),
                1i64.into(),
                "alice".into(),
                1i16.into(),
                0i64.into(),
                0i64.into(),
            ],
        ))
        .await
        .expect("an old blog");
    database::run_migrations(&connection, MigrationStep::Up)
        .await
        .expect("migrated");
    let fixture = Fixture {
        blogs: SeaOrmBlogRepository::new(Arc::new(SeaOrmPool::new(
            connection.clone(),
            QUERY_TIMEOUT,
        ))),
        users: SeaOrmUserRepository::new(Arc::new(SeaOrmPool::new(connection, QUERY_TIMEOUT))),
        _database: database,
    };
    for keyword in ["tom & jerry", "GRÜSSE", "grüße"] {
        let found = titles_matching(&fixture, keyword).await;
        if keyword == "GRÜSSE" {
            assert!(found.is_empty(), "ß does not fold to ss");
        } else {
            assert_eq!(found, vec!["Tom &amp; Jerry"], "{keyword}");
        }
    }
}

mod blogs_from_before_the_search_column {
    #[tokio::test]
    async fn sqlite() {
        super::blogs_from_before_the_search_column_are_found(super::TestDatabase::sqlite()).await;
    }

    #[tokio::test]
    async fn postgres() {
        if let Some(url) = super::matrix_url(super::POSTGRES_URL_VAR) {
            let database = super::TestDatabase::on_server(&url).await.expect("server");
            super::blogs_from_before_the_search_column_are_found(database).await;
        }
    }

    #[tokio::test]
    async fn mariadb() {
        if let Some(url) = super::matrix_url(super::MYSQL_URL_VAR) {
            let database = super::TestDatabase::on_server(&url).await.expect("server");
            super::blogs_from_before_the_search_column_are_found(database).await;
        }
    }
}
