"""A vendor's products and their versions: listing, creating, editing, making public or private,
and deleting (a product after a confirmation page)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from refstack_lite.console import signed_in
from refstack_lite.console.blueprint import bp
from refstack_lite.console.form_checks import MAX_TEXT, UsableText
from refstack_lite.console.forms import ActionForm
from refstack_lite.console.vendor_pages import worked_on
from refstack_lite.db import begin_writing, get_session
from refstack_lite.models import Product, ProductVersion, Vendor
from refstack_lite.services import products
from refstack_lite.services.actors import may_change

TYPE_LABELS = {
    "distribution": "Distribution",
    "public_cloud": "Public cloud",
    "hosted_private_cloud": "Hosted private cloud",
}


class ProductForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(max=products.MAX_NAME), UsableText()])
    description = TextAreaField("Description", validators=[Length(max=MAX_TEXT), UsableText()])
    product_type = SelectField("Type", choices={kind: TYPE_LABELS[kind] for kind in products.PRODUCT_TYPES})


class NewProductForm(ProductForm):
    public = BooleanField("Public: shown in the directory once certified (official vendors only)")


class VersionForm(FlaskForm):  # type: ignore[misc]
    version = StringField("Version", validators=[DataRequired(), Length(max=products.MAX_VERSION), UsableText()])
    cpid = StringField("Cloud id (cpid), optional", validators=[Length(max=products.MAX_CPID), UsableText()])


class CpidForm(FlaskForm):  # type: ignore[misc]
    cpid = StringField("Cloud id (cpid)", validators=[Length(max=products.MAX_CPID), UsableText()])


def _cpid(text: str | None) -> str | None:
    """An empty cloud id field means none (``null`` in the API); the service checks the rest."""
    return (text or "").strip() or None


# --- a vendor's products ---------------------------------------------------------------------------


def _products_page(vendor: Vendor, form: NewProductForm, status: int = 200) -> tuple[str, int]:
    session = get_session()
    found = session.scalars(
        products.visible_products(signed_in.actor())
        .where(Product.vendor_id == vendor.id)
        .order_by(Product.name, Product.id)
    ).all()
    rows = session.execute(
        select(ProductVersion.product_id, func.count())
        .join(Product, ProductVersion.product_id == Product.id)
        .where(Product.vendor_id == vendor.id)
        .group_by(ProductVersion.product_id)
    )
    counts = {product_id: count for product_id, count in rows}
    return render_template(
        "console/products.html", vendor=vendor, products=found, counts=counts, labels=TYPE_LABELS, form=form
    ), status


@bp.get("/vendors/<vendor_id>/products", endpoint="products")
def products_list(vendor_id: str) -> tuple[str, int]:
    return _products_page(worked_on(vendor_id), NewProductForm())


@bp.post("/vendors/<vendor_id>/products")
def create_product(vendor_id: str) -> Response | tuple[str, int]:
    form = NewProductForm()
    if not form.validate():
        return _products_page(worked_on(vendor_id), form, 400)
    session = get_session()
    begin_writing(session)
    found = worked_on(vendor_id)
    product = products.create(
        session,
        signed_in.actor(),
        found,
        datetime.now(UTC),
        name=form.name.data or "",
        product_type=form.product_type.data,
        description=form.description.data or "",
        public=bool(form.public.data),
    )
    session.commit()
    flash(f"Product {product.name} created.", "success")
    return redirect(url_for("console.product", product_id=product.id))


# --- one product -------------------------------------------------------------------------------------


def worked_on_product(product_id: str) -> Product:
    """The product, for its vendor's members and the foundation only (as ``worked_on``): a public
    product's page in the directory is no way into its console page."""
    product = products.get_visible(get_session(), signed_in.actor(), product_id)
    worked_on(product.vendor_id)
    return product


def _product_page(
    product: Product,
    edit: ProductForm | None = None,
    version: VersionForm | None = None,
    status: int = 200,
    problem: str | None = None,
) -> tuple[str, int]:
    session = get_session()
    if edit is None:
        edit = ProductForm(
            formdata=None,
            data={"name": product.name, "description": product.description, "product_type": product.product_type},
        )
    return render_template(
        "console/product.html",
        product=product,
        vendor=product.vendor,
        versions=products.versions(session, product),
        labels=TYPE_LABELS,
        edit=edit,
        version_form=version or VersionForm(formdata=None),
        problem=problem,
        may_change=may_change(session, signed_in.actor(), product.vendor),
        form=ActionForm(),
    ), status


@bp.get("/products/<product_id>")
def product(product_id: str) -> tuple[str, int]:
    return _product_page(worked_on_product(product_id))


@bp.post("/products/<product_id>")
def update_product(product_id: str) -> Response | tuple[str, int]:
    form = ProductForm()
    if not form.validate():
        return _product_page(worked_on_product(product_id), edit=form, status=400)
    session = get_session()
    begin_writing(session)
    found = worked_on_product(product_id)
    changes = {"name": form.name.data or "", "description": form.description.data or ""}
    products.update(
        session, signed_in.actor(), found, datetime.now(UTC), {**changes, "product_type": form.product_type.data}
    )
    session.commit()
    flash(f"Product {found.name} saved.", "success")
    return redirect(url_for("console.product", product_id=found.id))


def _set_public(product_id: str, public: bool) -> Response:
    session = get_session()
    begin_writing(session)
    found = worked_on_product(product_id)
    products.update(session, signed_in.actor(), found, datetime.now(UTC), {"public": public})
    session.commit()
    if public:
        flash(f"Product {found.name} is public: the directory lists it once it is certified.", "success")
    else:
        flash(f"Product {found.name} is private: only the vendor and the foundation see it.", "success")
    return redirect(url_for("console.product", product_id=found.id))


@bp.post("/products/<product_id>/public")
def publish_product(product_id: str) -> Response:
    return _set_public(product_id, True)


@bp.post("/products/<product_id>/private")
def hide_product(product_id: str) -> Response:
    return _set_public(product_id, False)


@bp.get("/products/<product_id>/delete")
def confirm_product_deletion(product_id: str) -> str:
    found = worked_on_product(product_id)
    versions = products.versions(get_session(), found)
    return render_template(
        "console/product_delete.html", product=found, vendor=found.vendor, versions=versions, form=ActionForm()
    )


@bp.post("/products/<product_id>/delete")
def delete_product(product_id: str) -> Response:
    session = get_session()
    begin_writing(session)
    found = worked_on_product(product_id)
    name, vendor_id = found.name, found.vendor_id
    products.delete(session, signed_in.actor(), found, datetime.now(UTC))
    session.commit()
    flash(f"Product {name} deleted, with its versions.", "success")
    return redirect(url_for("console.products", vendor_id=vendor_id))


# --- versions -------------------------------------------------------------------------------------


@bp.post("/products/<product_id>/versions")
def add_version(product_id: str) -> Response | tuple[str, int]:
    form = VersionForm()
    if not form.validate():
        return _product_page(worked_on_product(product_id), version=form, status=400)
    session = get_session()
    begin_writing(session)
    found = worked_on_product(product_id)
    row = products.add_version(
        session, signed_in.actor(), found, datetime.now(UTC), form.version.data or "", _cpid(form.cpid.data)
    )
    session.commit()
    flash(f"Version {row.version} of {found.name} added.", "success")
    return redirect(url_for("console.product", product_id=found.id))


@bp.post("/products/<product_id>/versions/<version_id>/cpid")
def set_version_cpid(product_id: str, version_id: str) -> Response | tuple[str, int]:
    form = CpidForm()
    if not form.validate():
        found = worked_on_product(product_id)
        row = products.get_version(get_session(), found, version_id)
        problem = f"The cloud id of version {row.version} was not changed: " + " ".join(form.cpid.errors)
        return _product_page(found, status=400, problem=problem)
    session = get_session()
    begin_writing(session)
    found = worked_on_product(product_id)
    row = products.get_version(session, found, version_id)
    cpid = _cpid(form.cpid.data)
    products.update_version(session, signed_in.actor(), row, datetime.now(UTC), {"cpid": cpid})
    session.commit()
    said = f"is {cpid}" if cpid else "is cleared"
    flash(f"The cloud id of version {row.version} {said}.", "success")
    return redirect(url_for("console.product", product_id=found.id))


@bp.post("/products/<product_id>/versions/<version_id>/delete")
def delete_version(product_id: str, version_id: str) -> Response:
    session = get_session()
    begin_writing(session)
    found = worked_on_product(product_id)
    row = products.get_version(session, found, version_id)
    label = row.version
    products.delete_version(session, signed_in.actor(), row, datetime.now(UTC))
    session.commit()
    flash(f"Version {label} of {found.name} deleted.", "success")
    return redirect(url_for("console.product", product_id=found.id))
