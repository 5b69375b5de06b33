//! Images: what the engine says about one image.

use super::error::{classify, EngineError, ObjectKind};
use super::Engine;
use std::collections::BTreeMap;

impl Engine {
    /// The labels of a local image; empty when it has none.
    pub async fn image_labels(&self, image: &str) -> Result<BTreeMap<String, String>, EngineError> {
        let inspect = self
            .docker
            .inspect_image(image)
            .await
            .map_err(|e| classify(e, "inspect", ObjectKind::Image, image))?;
        Ok(inspect
            .config
            .and_then(|config| config.labels)
            .map(|labels| labels.into_iter().collect())
            .unwrap_or_default())
    }
}
