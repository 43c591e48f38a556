//! Reading what the user typed into a rollout prompt: a group weight, a canary percentage, a
//! storage URI, replica bounds. A wrong answer is an `AnswerError` in the user's words, and
//! the prompt stays open for another try.

/// Why a prompt's answer was not taken, by what was asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("'{0}' is not a weight: a whole number, 0 or more")]
    Weight(String),
    #[error("'{0}' is not a percentage from 0 to 100")]
    Percentage(String),
    #[error("'{0}' is not a storage URI (s3://, gs://, hf://, pvc://, oci://, https://)")]
    StorageUri(String),
    #[error("'{0}' is not a number of replicas")]
    Replicas(String),
    #[error("type MIN MAX, e.g. '1 4' or '- 6'")]
    MinMax,
}

/// A routing group member's weight: a whole number, 0 or more.
pub fn weight(text: &str) -> Result<i64, AnswerError> {
    match text.parse::<i64>() {
        Ok(weight) if weight >= 0 => Ok(weight),
        _ => Err(AnswerError::Weight(text.to_string())),
    }
}

/// A canary percentage, 0 to 100, with or without `%`.
pub fn percent(text: &str) -> Result<i64, AnswerError> {
    match text.trim().trim_end_matches('%').parse::<i64>() {
        Ok(p) if (0..=100).contains(&p) => Ok(p),
        _ => Err(AnswerError::Percentage(text.trim().to_string())),
    }
}

/// A model's storage URI; only the scheme is checked here, the server checks the rest.
pub fn storage_uri(text: &str) -> Result<String, AnswerError> {
    if text.contains("://") {
        Ok(text.to_string())
    } else {
        Err(AnswerError::StorageUri(text.to_string()))
    }
}

/// `MIN MAX`, either of them `-` (or left out) to leave it as it is.
pub fn replicas(text: &str) -> Result<(Option<i64>, Option<i64>), AnswerError> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let bound = |s: Option<&&str>| match s {
        None | Some(&"-") => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AnswerError::Replicas(v.to_string())),
    };
    let (min, max) = (bound(parts.first())?, bound(parts.get(1))?);
    if parts.len() > 2 {
        return Err(AnswerError::MinMax);
    }
    Ok((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_or_refused_with_the_reason() {
        assert_eq!(weight("30"), Ok(30));
        assert_eq!(weight("-1"), Err(AnswerError::Weight("-1".into())));
        assert_eq!(percent(" 25% "), Ok(25));
        assert_eq!(percent("101"), Err(AnswerError::Percentage("101".into())));
        assert_eq!(storage_uri("s3://m/v2"), Ok("s3://m/v2".to_string()));
        assert_eq!(
            storage_uri("models/v2"),
            Err(AnswerError::StorageUri("models/v2".into()))
        );
        assert_eq!(replicas("1 4"), Ok((Some(1), Some(4))));
        assert_eq!(replicas("- 6"), Ok((None, Some(6))));
        assert_eq!(replicas(""), Ok((None, None)));
        assert_eq!(replicas("1 x"), Err(AnswerError::Replicas("x".into())));
        assert_eq!(replicas("y x"), Err(AnswerError::Replicas("y".into())));
        assert_eq!(replicas("1 2 3"), Err(AnswerError::MinMax));
    }

    #[test]
    fn answer_errors_say_what_to_type() {
        for (error, text) in [
            (
                AnswerError::Weight("lots".into()),
                "'lots' is not a weight: a whole number, 0 or more",
            ),
            (
                AnswerError::Percentage("150".into()),
                "'150' is not a percentage from 0 to 100",
            ),
            (
                AnswerError::StorageUri("models/v2".into()),
                "'models/v2' is not a storage URI (s3://, gs://, hf://, pvc://, oci://, https://)",
            ),
            (
                AnswerError::Replicas("x".into()),
                "'x' is not a number of replicas",
            ),
            (AnswerError::MinMax, "type MIN MAX, e.g. '1 4' or '- 6'"),
        ] {
            assert_eq!(error.to_string(), text);
        }
    }
}
