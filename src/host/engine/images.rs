//! Images: what the engine says about one image.

use super::deadline::{within, CALL_DEADLINE};
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
            .map_err(|e| classify(e, &self.name, "inspect", ObjectKind::Image, image))?;
        Ok(inspect
            .config
            .and_then(|config| config.labels)
            .map(|labels| labels.into_iter().collect())
            .unwrap_or_default())
    }
}

/// One row of an image listing.
#[derive(Debug, Clone)]
pub struct ImageSummary {
    pub id: String,
    /// `repository:tag` names; empty for an untagged image.
    pub tags: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// Epoch seconds.
    pub created: i64,
}

impl Engine {
    /// The engine's images (not intermediate layers), with their labels.
    pub async fn list_images(&self) -> Result<Vec<ImageSummary>, EngineError> {
        let list = within(
            CALL_DEADLINE,
            &self.name,
            "list",
            ObjectKind::Image,
            "*",
            async {
                self.docker
                    .list_images(None::<bollard::query_parameters::ListImagesOptions>)
                    .await
                    .map_err(|e| classify(e, &self.name, "list", ObjectKind::Image, "*"))
            },
        )
        .await?;
        Ok(list
            .into_iter()
            .map(|i| ImageSummary {
                id: i.id,
                tags: i
                    .repo_tags
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect(),
                labels: i.labels.into_iter().collect(),
                created: i.created,
            })
            .collect())
    }
}

/// What an inspect of one image says.
#[derive(Debug, Clone)]
pub struct ImageDetails {
    pub id: String,
    pub tags: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

impl Engine {
    /// Inspects one image by name or id.
    pub async fn inspect_image(&self, image: &str) -> Result<ImageDetails, EngineError> {
        let inspect = within(
            CALL_DEADLINE,
            &self.name,
            "inspect",
            ObjectKind::Image,
            image,
            async {
                self.docker
                    .inspect_image(image)
                    .await
                    .map_err(|e| classify(e, &self.name, "inspect", ObjectKind::Image, image))
            },
        )
        .await?;
        Ok(ImageDetails {
            id: inspect.id.unwrap_or_default(),
            tags: inspect.repo_tags.unwrap_or_default(),
            labels: inspect
                .config
                .and_then(|config| config.labels)
                .map(|labels| labels.into_iter().collect())
                .unwrap_or_default(),
        })
    }
}
