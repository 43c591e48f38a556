//! One page of a list, decoded item by item: each object is read into JSON, parsed into its
//! compact row and dropped before the next one is read. A page of 500 pods read whole into
//! JSON first held about 10 MB of small blocks at once, among the rows that stay, and set
//! where the allocator's heap top ended up for the rest of the session.

use crate::domain::kind::{self, KindSpec};
use crate::domain::watch::WatchEvent;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// A decoded page: its objects as upserts, and where the list goes on.
#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<WatchEvent>,
    /// The token for the next page (empty or absent on the last one).
    pub continue_: Option<String>,
    pub resource_version: Option<String>,
}

/// Decodes a list page of `spec`'s kind from the API server's JSON text.
pub fn decode(spec: &KindSpec, text: &str) -> Result<Page, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let page = PageSeed(spec).deserialize(&mut de)?;
    de.end()?;
    Ok(page)
}

#[derive(serde::Deserialize, Default)]
struct PageMeta {
    #[serde(default, rename = "continue")]
    continue_: Option<String>,
    #[serde(default, rename = "resourceVersion")]
    resource_version: Option<String>,
}

struct PageSeed<'a>(&'a KindSpec);

impl<'de> DeserializeSeed<'de> for PageSeed<'_> {
    type Value = Page;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Page, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageSeed<'_> {
    type Value = Page;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list (an object with metadata and items)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page, A::Error> {
        let mut page = Page::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "metadata" => {
                    let meta: Option<PageMeta> = map.next_value()?;
                    let meta = meta.unwrap_or_default();
                    page.continue_ = meta.continue_;
                    page.resource_version = meta.resource_version;
                }
                "items" => page.items = map.next_value_seed(ItemsSeed(self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(page)
    }
}

/// The `items` array (or `null`), each object parsed as it is read.
struct ItemsSeed<'a>(&'a KindSpec);

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = Vec<WatchEvent>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Vec<WatchEvent>, D::Error> {
        de.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = Vec<WatchEvent>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects, or null")
    }

    fn visit_none<E>(self) -> Result<Vec<WatchEvent>, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E>(self) -> Result<Vec<WatchEvent>, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Vec<WatchEvent>, D::Error> {
        de.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<WatchEvent>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(object) = seq.next_element::<Value>()? {
            items.push(WatchEvent::Upsert(kind::parse(self.0.kind, &object)));
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kind::{ClusterObject, Kind};

    fn names(page: &Page) -> Vec<String> {
        page.items
            .iter()
            .map(|e| match e {
                WatchEvent::Upsert(ClusterObject::Pod(p)) => p.meta.name.clone(),
                other => panic!("not a pod upsert: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_page_is_parsed_into_rows_item_by_item() {
        let page = decode(
            Kind::Pod.spec(),
            r#"{"kind": "PodList", "apiVersion": "v1",
                "metadata": {"resourceVersion": "42", "continue": "next-page"},
                "items": [{"metadata": {"name": "p1", "namespace": "ml", "resourceVersion": "41"},
                           "status": {"phase": "Running"}},
                          {"metadata": {"name": "p2", "namespace": "ml"}}]}"#,
        )
        .unwrap();
        assert_eq!(page.continue_.as_deref(), Some("next-page"));
        assert_eq!(page.resource_version.as_deref(), Some("42"));
        assert_eq!(names(&page), ["p1", "p2"]);
        let WatchEvent::Upsert(ClusterObject::Pod(p1)) = &page.items[0] else {
            panic!("not a pod");
        };
        assert_eq!(p1.phase, "Running");
        assert_eq!(p1.meta.namespace, "ml");
    }

    #[test]
    fn items_and_metadata_may_come_in_any_order_or_be_null() {
        let page = decode(
            Kind::Pod.spec(),
            r#"{"items": [{"metadata": {"name": "p1"}}], "extra": {"a": [1, 2]},
                "metadata": {"resourceVersion": "7"}}"#,
        )
        .unwrap();
        assert_eq!(names(&page), ["p1"]);
        assert_eq!(page.resource_version.as_deref(), Some("7"));
        let empty = decode(Kind::Pod.spec(), r#"{"metadata": null, "items": null}"#).unwrap();
        assert!(empty.items.is_empty() && empty.continue_.is_none());
    }

    #[test]
    fn a_malformed_page_is_an_error_not_a_panic() {
        for text in [
            "",
            "[1, 2]",
            r#"{"items": 3}"#,
            r#"{"items": [1"#,
            "{} trailing",
        ] {
            assert!(decode(Kind::Pod.spec(), text).is_err(), "{text:?}");
        }
    }
}
