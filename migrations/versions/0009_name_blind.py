"""Name-blind review: per-posting settings and audited reveals.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('posting_review_setting',
    sa.Column('posting_key', sa.String(length=300), nullable=False),
    sa.Column('name_blind', sa.Boolean(), nullable=False),
    sa.Column('reveal_stage', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], name=op.f('fk_posting_review_setting_updated_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('posting_key', name=op.f('pk_posting_review_setting'))
    )
    op.create_table('name_blind_reveal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=4000), nullable=False),
    sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_name_blind_reveal_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_name_blind_reveal_staff_user_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_name_blind_reveal'))
    )
    with op.batch_alter_table('name_blind_reveal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_name_blind_reveal_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_name_blind_reveal_staff_user_id'), ['staff_user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('name_blind_reveal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_name_blind_reveal_staff_user_id'))
        batch_op.drop_index(batch_op.f('ix_name_blind_reveal_application_id'))

    op.drop_table('name_blind_reveal')
    op.drop_table('posting_review_setting')
