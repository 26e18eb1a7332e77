"""Each role lands where its work is (#13): staff and coordinators on งานของฉัน, executives and
viewers on the score page, oversight users on their group's overview."""

import pytest

from .conftest import login

KSK = "khao-samo-khon"


@pytest.mark.parametrize(
    "username, lands_on",
    [
        ("ksk-staff1", f"/a/{KSK}/my-work/"),
        ("ksk-coord", f"/a/{KSK}/my-work/"),
        ("ksk-exec", f"/a/{KSK}/"),
        ("ksk-viewer", f"/a/{KSK}/"),
        ("lopburi-office", "/oversight/"),
    ],
)
def test_each_role_lands_where_its_work_is(db, username, lands_on):
    response = login(username).get("/")
    assert response.status_code == 302 and response.headers["Location"] == lands_on
