import numpy as np
import pytest

from facesaas.errors import ConfigurationError
from facesaas.face._models import SFACE, YUNET, ModelFile, load_session, model_path


def test_model_files_are_checksummed() -> None:
    assert model_path(SFACE).name.endswith("int8bq.onnx")
    altered = ModelFile(SFACE.package, SFACE.relative_path, "0" * 64)
    with pytest.raises(ConfigurationError, match="checksum"):
        model_path(altered)
    with pytest.raises(ConfigurationError, match="not installed"):
        model_path(ModelFile("no_such_package_xyz", "m.onnx", "0" * 64))


def test_folding_sface_weights_keeps_the_output() -> None:
    rng = np.random.default_rng(0)
    crop = rng.uniform(0, 255, (1, 3, 112, 112)).astype(np.float32)
    plain = load_session(SFACE, fold=False).run(None, {"data": crop})[0]
    folded = load_session(SFACE, fold=True).run(None, {"data": crop})[0]
    assert np.allclose(plain, folded, atol=1e-4)
    assert [i.name for i in load_session(SFACE).get_inputs()] == ["data"]  # stray inputs removed


def test_yunet_loads_and_runs() -> None:
    outputs = load_session(YUNET).run(None, {"input": np.zeros((1, 3, 640, 640), np.float32)})
    assert len(outputs) == 12
