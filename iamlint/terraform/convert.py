"""python-hcl2's Lark tree → iamlint's syntax tree (`iamlint.terraform.syntax`)."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from iamlint.terraform.syntax import (
    Attribute,
    BinaryOp,
    Block,
    Body,
    Call,
    Conditional,
    Expr,
    ForExpr,
    GetAttr,
    Index,
    Literal,
    Name,
    ObjectExpr,
    Span,
    Splat,
    Template,
    TemplateParser,
    TupleExpr,
    UnaryOp,
    _dedent,
    _template,
    unescape,
)

_SKIP = {"new_line_or_comment"}


def _span(node: Tree | Token) -> Span:
    """From the node's first to its last token, leaving out edge newlines and comments.

    Computed from tokens because Lark's own span tracking (`propagate_positions`) doubles
    parse time, and its spans include trailing newlines we would have to trim anyway.
    """
    first = _edge_token(node, 0)
    last = _edge_token(node, -1)
    if first is None or last is None:
        return (0, 0)
    return (first.start_pos or 0, last.end_pos or 0)


def _edge_token(node: Tree | Token, side: int) -> Token | None:
    if isinstance(node, Token):
        return None if node.type == "NL_OR_COMMENT" else node
    children = node.children if side == 0 else reversed(node.children)
    for child in children:
        if isinstance(child, Tree) and child.data in _SKIP:
            continue
        found = _edge_token(child, side)
        if found is not None:
            return found
    return None


def _trees(node: Tree) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree) and c.data not in _SKIP]


class Converter(TemplateParser):
    """Turns one file's Lark tree into a `Body`."""

    def body(self, node: Tree) -> Body:
        out = Body()
        for child in _trees(node):
            if child.data == "attribute":
                attr = self.attribute(child)
                out.attributes[attr.name] = attr
            elif child.data == "block":
                out.blocks.append(self.block(child))
        return out

    def attribute(self, node: Tree) -> Attribute:
        name_node = node.children[0]
        value_node = node.children[-1]
        return Attribute(self._name(name_node), self.expr(value_node), _span(node))

    def block(self, node: Tree) -> Block:
        parts = [c for c in node.children if isinstance(c, Tree)]
        body_node = next(c for c in parts if c.data == "body")
        head = [c for c in parts if c.data not in ("body", *_SKIP)]
        block_type = self._name(head[0])
        labels = [self._label(c) for c in head[1:]]
        return Block(block_type, labels, self.body(body_node), _span(node))

    def _name(self, node: Tree | Token) -> str:
        if isinstance(node, Token):
            return str(node)
        if node.data == "string":
            return self._label(node)
        return str(node.children[0])

    def _label(self, node: Tree) -> str:
        if node.data == "string":
            return "".join(
                str(p.children[0]) for p in _trees(node) if isinstance(p.children[0], Token)
            )
        return self._name(node)

    # expressions

    def expr(self, node: Tree | Token) -> Expr:
        if isinstance(node, Token):
            return Literal(_span(node), str(node))
        handler = getattr(self, f"_x_{node.data}", None)
        if handler is None:
            # A construct we do not model still gets a span, so it reads as an unknown.
            return Call(_span(node), f"<{node.data}>", [])
        return handler(node)

    def _x_expr_term(self, node: Tree) -> Expr:
        kids = _trees(node)
        if any(isinstance(c, Token) and c.type == "LPAR" for c in node.children):
            inner = self.expr(kids[0])
            inner.span = _span(node)
            return inner
        return self.expr(kids[0])

    def _x_identifier(self, node: Tree) -> Expr:
        return Name(_span(node), str(node.children[0]))

    def _x_keyword(self, node: Tree) -> Expr:
        return Name(_span(node), str(node.children[0]))

    def _x_literal_value(self, node: Tree) -> Expr:
        word = str(node.children[0])
        return Literal(_span(node), {"true": True, "false": False, "null": None}[word])

    def _x_int_lit(self, node: Tree) -> Expr:
        return Literal(_span(node), int(str(node.children[0])))

    def _x_float_lit(self, node: Tree) -> Expr:
        return Literal(_span(node), float(str(node.children[0])))

    def _x_string(self, node: Tree) -> Expr:
        parts: list[str | Expr] = []
        directive = False
        for part in _trees(node):
            inner = part.children[0]
            if isinstance(inner, Token):
                if inner.type == "ESCAPED_INTERPOLATION":
                    parts.append("${" + str(inner)[3:])
                elif inner.type == "ESCAPED_DIRECTIVE":
                    parts.append("%{" + str(inner)[3:])
                else:
                    parts.append(unescape(str(inner)))
            elif inner.data == "interpolation":
                parts.append(self.expr(_trees(inner)[0]))
            else:
                directive = True
                parts.append(Call(_span(inner), "<directive>", []))
        return _template(_span(node), parts, heredoc=False, directive=directive)

    def _x_template_string(self, node: Tree) -> Expr:
        return Literal(_span(node), str(node.children[0]).strip('\\"'))

    def _x_heredoc_template(self, node: Tree) -> Expr:
        return self._heredoc(node, trim=False)

    def _x_heredoc_template_trim(self, node: Tree) -> Expr:
        return self._heredoc(node, trim=True)

    def _heredoc(self, node: Tree, trim: bool) -> Expr:
        token = node.children[0]
        start = token.start_pos or 0
        raw = str(token)
        first_nl = raw.index("\n") + 1
        # The closing marker is the last line; the body is everything between.
        body_end = raw.rstrip("\r\n").rfind("\n") + 1
        body_start = start + first_nl
        body = raw[first_nl:body_end]
        # The token ends with the newline after the closing marker; the value does not.
        end = min(start + len(raw.rstrip("\r\n")), len(self.text))
        parts = self._template_parts(body, body_start)
        if trim:
            parts = _dedent(parts)
        directive = any(isinstance(p, Call) and p.name == "<directive>" for p in parts)
        template = _template((start, end), parts, heredoc=True, directive=directive)
        if isinstance(template, Template):
            template.body_span = (body_start, start + body_end)
        return template

    def _x_tuple(self, node: Tree) -> Expr:
        return TupleExpr(_span(node), [self.expr(c) for c in _trees(node)])

    def _x_object(self, node: Tree) -> Expr:
        items: list[tuple[Expr, Expr]] = []
        for elem in _trees(node):
            key_node, value_node = _trees(elem)[0], _trees(elem)[-1]
            key = self.expr(_trees(key_node)[0]) if _trees(key_node) else self.expr(key_node)
            items.append((key, self.expr(value_node)))
        return ObjectExpr(_span(node), items)

    def _x_function_call(self, node: Tree) -> Expr:
        names = [c for c in node.children if isinstance(c, Tree) and c.data == "identifier"]
        name = "::".join(str(n.children[0]) for n in names)
        args: list[Expr] = []
        expand = False
        for c in node.children:
            if isinstance(c, Tree) and c.data == "arguments":
                args = [self.expr(a) for a in _trees(c)]
                expand = any(isinstance(t, Token) and t.type == "ELLIPSIS" for t in c.children)
        return Call(_span(node), name, args, expand)

    def _x_get_attr_expr_term(self, node: Tree) -> Expr:
        target, get_attr = _trees(node)
        return GetAttr(_span(node), self.expr(target), self._attr_name(get_attr))

    def _attr_name(self, get_attr: Tree) -> str:
        return str(_trees(get_attr)[0].children[0])

    def _x_index_expr_term(self, node: Tree) -> Expr:
        target, index = _trees(node)
        if index.data == "short_index":
            key: Expr = Literal(_span(index), int(str(index.children[-1])))
        else:
            key = self.expr(_trees(index)[0])
        return Index(_span(node), self.expr(target), key)

    def _x_attr_splat_expr_term(self, node: Tree) -> Expr:
        return self._splat(node)

    def _x_full_splat_expr_term(self, node: Tree) -> Expr:
        return self._splat(node)

    def _splat(self, node: Tree) -> Expr:
        target, splat = _trees(node)[:2]
        steps: list[tuple[str, Any]] = []
        for step in _trees(splat):
            if step.data == "get_attr":
                steps.append(("attr", self._attr_name(step)))
            elif step.data == "short_index":
                steps.append(("index", Literal(_span(step), int(str(step.children[-1])))))
            elif _trees(step):
                steps.append(("index", self.expr(_trees(step)[0])))
        return Splat(_span(node), self.expr(target), steps)

    def _x_conditional(self, node: Tree) -> Expr:
        test, yes, no = _trees(node)
        return Conditional(_span(node), self.expr(test), self.expr(yes), self.expr(no))

    def _x_binary_op(self, node: Tree) -> Expr:
        left, term = _trees(node)[:2]
        op_node, right = _trees(term)[:2]
        op = str(op_node.children[0]).strip()
        lhs, rhs = self.expr(left), self.expr(right)
        # The Lark node swallows a trailing newline; the value ends where its right side ends.
        return BinaryOp((lhs.span[0], rhs.span[1]), op, lhs, rhs)

    def _x_unary_op(self, node: Tree) -> Expr:
        op = str(node.children[0]).strip()
        return UnaryOp(_span(node), op, self.expr(_trees(node)[0]))

    def _x_for_tuple_expr(self, node: Tree) -> Expr:
        return self._for(node, is_object=False)

    def _x_for_object_expr(self, node: Tree) -> Expr:
        return self._for(node, is_object=True)

    def _for(self, node: Tree, is_object: bool) -> Expr:
        kids = _trees(node)
        intro = kids[0]
        names = [str(c.children[0]) for c in _trees(intro) if c.data == "identifier"]
        collection = self.expr(_trees(intro)[-1])
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        cond_nodes = [c for c in kids if c.data == "for_cond"]
        condition = self.expr(_trees(cond_nodes[0])[0]) if cond_nodes else None
        exprs = [c for c in kids[1:] if c.data != "for_cond"]
        grouping = any(isinstance(t, Token) and t.type == "ELLIPSIS" for t in node.children)
        if is_object:
            return ForExpr(
                _span(node),
                key_var,
                value_var,
                collection,
                self.expr(exprs[0]),
                self.expr(exprs[1]),
                condition,
                grouping,
            )
        return ForExpr(
            _span(node), key_var, value_var, collection, None, self.expr(exprs[0]), condition
        )


def convert(tree: Tree, text: str, file: str) -> Body:
    return Converter(text, file).body(tree.children[0])
