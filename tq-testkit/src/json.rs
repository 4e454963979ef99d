//! Reading the JSON answers of the fakes and of real servers in tests.

use serde_json::Value;

/// The `key` string of every element of the JSON array `list`, in order: the names of
/// `{"data": [{"name": "a"}, {"name": "b"}]}["data"]` are `["a", "b"]`. Panics, showing what
/// it got, when `list` is not an array or an element has no string `key`.
pub fn strings<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a JSON array: {list}"))
        .iter()
        .map(|item| {
            item[key]
                .as_str()
                .unwrap_or_else(|| panic!("no string {key:?} in {item}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_reads_one_field_of_every_element_in_order() {
        let v = json!({"data": [{"name": "b", "id": 2}, {"name": "a", "id": 1}]});
        assert_eq!(strings(&v["data"], "name"), ["b", "a"]);
        assert!(strings(&json!([]), "name").is_empty());
    }

    #[test]
    #[should_panic(expected = "no string \"name\" in {\"id\":1}")]
    fn strings_names_the_element_without_the_field() {
        strings(&json!([{"name": "x"}, {"id": 1}]), "name");
    }

    #[test]
    #[should_panic(expected = "not a JSON array: {\"name\":\"x\"}")]
    fn strings_refuses_what_is_not_an_array() {
        strings(&json!({"name": "x"}), "name");
    }
}
