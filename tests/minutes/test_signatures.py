"""Digital signatures (PAdES, pyHanko) with a throw-away CA made in the test: never a real key in the repo.
The chair signs the approved minutes and the issued notice; the product verifies what it stores; a signed
PDF changed by one byte fails verification."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import refused

from meetings.errors import Conflict, Forbidden

pytestmark = pytest.mark.django_db


def make_ca_and_signer(tmp_path, name: str = "Trần Văn Minh") -> tuple[str, str]:
    """A root CA and a signing certificate it issued, written as a PKCS#12 file and the CA's PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA thử nghiệm tỉnh Minh Sơn")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, [ca], serialization.BestAvailableEncryption(b"mat-khau")))
    root = tmp_path / "root.pem"
    root.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return str(p12), str(root)


@pytest.fixture
def signer(tmp_path, settings):
    p12, root = make_ca_and_signer(tmp_path)
    settings.PHONGHOP_SIGNER_PKCS12 = p12
    settings.PHONGHOP_SIGNER_PASSPHRASE = "mat-khau"
    return root


@pytest.fixture
def approved(minutes, held, people):
    from meetings.minutes import services

    services.submit(people["lan"], held)
    return services.approve(people["minh"], held)


def test_the_chair_signs_the_approved_minutes_and_the_signature_verifies(signer, approved, held, people):
    from meetings.minutes import services, signing

    row = services.sign_minutes(people["minh"], held)
    data = services.signed_data(row)
    check = data["verification"]
    assert check["valid"] and check["intact"] and check["trusted"] and check["entire_file"], check
    assert check["signer"] == "Trần Văn Minh" and data["certificate"] == "Trần Văn Minh"
    with pytest.raises(Conflict):
        services.sign_minutes(people["minh"], held)
    # Verified against the CA alone too (what another system holding only the CA certificate sees).
    assert signing.verify_pdf(bytes(row.pdf), signing.load_certificates(signer))["valid"]


def test_a_signed_pdf_changed_by_one_byte_fails_verification(signer, approved, held, people):
    from meetings.minutes import services, signing

    signed = bytearray(services.sign_minutes(people["minh"], held).pdf)
    assert signing.verify_pdf(bytes(signed))["valid"]
    # A byte of the first page's content, well inside the signed range.
    at = signed.index(b"stream", 1000) + 20
    signed[at] ^= 0x01
    check = signing.verify_pdf(bytes(signed))
    assert not check["valid"] and not check["intact"], check


def test_a_signature_by_an_unknown_ca_is_not_trusted(signer, approved, held, people, tmp_path):
    from meetings.minutes import services, signing

    row = services.sign_minutes(people["minh"], held)
    (tmp_path / "other").mkdir()
    _, other_root = make_ca_and_signer(tmp_path / "other")
    check = signing.verify_pdf(bytes(row.pdf), signing.load_certificates(other_root))
    assert check["intact"] and not check["trusted"] and not check["valid"]


@pytest.mark.parametrize("who", ["lan", "hoa"])
def test_only_the_chair_signs(signer, approved, held, people, who):
    from meetings.minutes import services

    with pytest.raises(Forbidden):
        services.sign_minutes(people[who], held)


def test_minutes_not_approved_are_not_signed(signer, minutes, held, people):
    from meetings.minutes import services

    with pytest.raises(Conflict):
        services.sign_minutes(people["minh"], held)


def test_without_a_configured_certificate_nothing_is_signed(approved, held, people, settings):
    from meetings.minutes import services

    settings.PHONGHOP_SIGNER_PKCS12 = ""
    with pytest.raises(Exception) as e:
        services.sign_minutes(people["minh"], held)
    assert e.value.code == "no_signer"


def test_the_api_signs_the_notice_serves_it_and_shows_the_verification(signer, minutes, held, people, api):
    from meetings.minutes import services, signing

    services.draft_notice(people["lan"], held)
    services.issue_notice(people["minh"], held)
    minh, hoa = api(people["minh"]), api(people["hoa"])
    refused(hoa.get(f"/meetings/{held.pk}/notice/signed"), 404, "not_signed")
    refused(hoa.post(f"/meetings/{held.pk}/notice/sign"), 403, "not_chair")
    r = minh.post(f"/meetings/{held.pk}/notice/sign")
    assert r.status_code == 201 and r.json()["verification"]["valid"], r.content
    shown = hoa.get(f"/meetings/{held.pk}/notice/signed").json()
    assert shown["verification"]["signer"] == "Trần Văn Minh" and shown["verification"]["signed_at"]
    pdf = hoa.get(f"/meetings/{held.pk}/notice/signed.pdf").content
    assert signing.verify_pdf(pdf)["valid"]


def test_the_minutes_page_signs_and_shows_the_verification(signer, approved, held, people, client):
    from django.urls import reverse

    url = reverse("minutes-page", args=[held.pk])
    client.force_login(people["hoa"])
    assert 'value="sign"' not in client.get(url).content.decode()  # only the chair is offered to sign
    client.force_login(people["minh"])
    assert 'value="sign"' in client.get(url).content.decode()
    client.post(url, {"action": "sign"})
    client.force_login(people["hoa"])
    html = client.get(url).content.decode()
    assert 'data-signature-valid="true"' in html and "Trần Văn Minh" in html
