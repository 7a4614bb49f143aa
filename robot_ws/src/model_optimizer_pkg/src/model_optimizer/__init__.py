"""The car's model optimizer: model.pb or model.tar.gz -> OpenVINO IR, and model_metadata.json."""
from model_optimizer.archive import (METADATA_NAME, ModelError, extract_graph, is_archive,
                                     metadata_text, pack_model, read_metadata)
from model_optimizer.convert import (INPUT_NAME, INPUT_SHAPE, OUTPUT_NAME, PRECISIONS,
                                     check_graph, convert, ensure_ir)
from model_optimizer.metadata import (ActionSpace, MetadataError, ModelMetadata,
                                      load_model_metadata)

__all__ = ["ActionSpace", "INPUT_NAME", "INPUT_SHAPE", "METADATA_NAME", "MetadataError",
           "ModelError", "ModelMetadata", "OUTPUT_NAME", "PRECISIONS", "check_graph", "convert",
           "ensure_ir", "extract_graph", "is_archive", "load_model_metadata", "metadata_text",
           "pack_model", "read_metadata"]
